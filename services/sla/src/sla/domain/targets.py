"""Contract targets and the choice of the one that applies to an incident (SPEC §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from desk_contracts.enums import Priority

__all__ = ["TargetRule", "select_rule"]

_ZERO = timedelta(0)


@dataclass(frozen=True)
class TargetRule:
    """Targets for a category subtree and priority, in business time of the calendar.

    ``category_path`` holds node codes from the tree root; ``()`` is the contract default.
    ``priority`` ``None`` matches any priority. At most one reminder lead may be given:
    ``reminder_before`` (business time before the due time) or ``reminder_share`` (the
    share of the target that has elapsed, strictly between 0 and 1).
    """

    category_path: tuple[str, ...]
    priority: Priority | None
    response: timedelta
    resolution: timedelta
    reminder_before: timedelta | None = None
    reminder_share: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.category_path, str) or not isinstance(self.category_path, Sequence):
            raise ValueError(
                f"category_path must be a sequence of node codes, got {self.category_path!r}"
            )
        path = tuple(self.category_path)
        if any(not isinstance(code, str) or not code for code in path):
            raise ValueError(f"category_path codes must be non-empty strings, got {path!r}")
        object.__setattr__(self, "category_path", path)
        if self.priority is not None and not isinstance(self.priority, Priority):
            try:  # accept the wire value ("high"), store the enum
                object.__setattr__(self, "priority", Priority(self.priority))
            except ValueError:
                raise ValueError(
                    f"priority must be a Priority or None, got {self.priority!r}"
                ) from None
        for name in ("response", "resolution"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= _ZERO:
                raise ValueError(f"{name} target must be a positive timedelta, got {value!r}")
        if self.reminder_before is not None and self.reminder_share is not None:
            raise ValueError("give either reminder_before or reminder_share, not both")
        if self.reminder_before is not None and (
            not isinstance(self.reminder_before, timedelta) or self.reminder_before <= _ZERO
        ):
            raise ValueError(
                f"reminder_before must be a positive timedelta, got {self.reminder_before!r}"
            )
        if self.reminder_share is not None:
            share = self.reminder_share
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
                raise ValueError(f"reminder_share must be strictly between 0 and 1, got {share!r}")
            object.__setattr__(self, "reminder_share", float(share))

    @property
    def depth(self) -> int:
        """0 for the contract default, 1 type, 2 category, 3 subcategory."""
        return len(self.category_path)

    def matches(self, category_path: Sequence[str], priority: Priority) -> bool:
        """Whether this rule covers the incident: a path prefix and a compatible priority."""
        return tuple(category_path[: self.depth]) == self.category_path and (
            self.priority is None or self.priority == priority
        )

    def reminder_lead(self, target: timedelta) -> timedelta | None:
        """Unpaused business time after registration at which to remind, for ``target``.

        ``target - reminder_before`` clamped at zero, or ``target * reminder_share``;
        ``None`` when the rule has no reminder.
        """
        if self.reminder_before is not None:
            return max(target - self.reminder_before, _ZERO)
        if self.reminder_share is not None:
            return target * self.reminder_share
        return None


def select_rule(
    rules: Sequence[TargetRule], category_path: Sequence[str], priority: Priority
) -> TargetRule | None:
    """The most specific matching rule, or ``None`` when no rule matches.

    The deepest matching category wins; at equal depth an exact priority beats "any";
    a remaining tie goes to the earliest rule in ``rules``.
    """
    best: TargetRule | None = None
    best_key = (-1, -1)
    for rule in rules:
        if not rule.matches(category_path, priority):
            continue
        key = (rule.depth, 0 if rule.priority is None else 1)
        if key > best_key:  # strict: the earlier rule keeps a tie
            best, best_key = rule, key
    return best
