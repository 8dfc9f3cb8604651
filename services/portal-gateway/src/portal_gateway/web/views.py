"""Pure helpers the pages share: time left, the category × priority tree, pagination
links that keep filters, and readable sizes. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from desk_contracts.enums import Priority, Status

PRIORITIES = tuple(Priority)
OPEN_STATUSES = tuple(s for s in Status if s.is_open)


def duration_words(seconds: float, language: str) -> str:
    """`2 d 3 h`, `3 h 20 min` or `5 min` (Russian: д, ч, мин)."""
    units = ("д", "ч", "мин") if language == "ru" else ("d", "h", "min")
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {units[0]} {hours} {units[1]}"
    if hours:
        return f"{hours} {units[1]} {minutes} {units[2]}"
    return f"{minutes} {units[2]}"


def is_overdue(due: datetime | None, status: Status, now: datetime) -> bool:
    return due is not None and status.is_open and due < now


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


@dataclass
class TreeNode:
    path: tuple[str, ...]
    name: str
    category_id: str | None
    colour: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class CategoryInfo:
    category_id: str
    path: tuple[str, ...]
    name: str
    colour: str


def category_labels(categories: Sequence[CategoryInfo]) -> dict[tuple[str, ...], str]:
    """`Fault › Software error` for every path."""
    names = {c.path: c.name for c in categories}
    return {
        c.path: " › ".join(names.get(c.path[:i], c.path[i - 1]) for i in range(1, len(c.path) + 1))
        for c in categories
    }


@dataclass(frozen=True)
class CountRow:
    path: tuple[str, ...]
    priority: str
    status: str
    count: int


def category_tree(categories: Sequence[CategoryInfo], counts: Iterable[CountRow]) -> list[TreeNode]:
    """Every category in path order with its open incidents (its whole subtree) by
    priority; a count of a category the tree does not know lands on its known ancestor."""
    nodes = {
        c.path: TreeNode(c.path, c.name, c.category_id, c.colour)
        for c in sorted(categories, key=lambda c: c.path)
    }
    open_values = {s.value for s in OPEN_STATUSES}
    for row in counts:
        if row.status not in open_values:
            continue
        for depth in range(1, len(row.path) + 1):
            node = nodes.get(row.path[:depth])
            if node is not None:
                node.counts[row.priority] = node.counts.get(row.priority, 0) + row.count
    return list(nodes.values())


def query_string(params: Mapping[str, str | Sequence[str] | None], **changes: object) -> str:
    """The current filters with some values changed (None drops a key), as `?a=b&…`."""
    merged: dict[str, object] = {k: v for k, v in params.items() if v not in (None, "", [])}
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else "?"


def safe_next(target: str | None, default: str = "/incidents") -> str:
    """Only a path on this site may follow a login or a language switch."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
