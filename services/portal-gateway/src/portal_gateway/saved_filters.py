"""Saved filters of the incident list: each user's named query strings.

The rules (what a stored query holds, what a name may be) are pure functions; the store
below them checks them and writes in one transaction."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import Priority, Status

# The list page's filter keys in the order a stored query keeps them; `page` is not one.
FILTER_KEYS = ("q", "status", "priority", "category", "assignee", "overdue", "sort")
NAME_MAX = 80
SAVED_FILTERS_MAX = 50
Q_MAX = 500  # the list page reads no more of a search than this
DEFAULT_SORT = "-created"

# Problems, as the i18n keys the pages translate.
NAME_EMPTY = "Give the saved filter a name."
NAME_TOO_LONG = "The name may be at most 80 characters."
NAME_CONTROL = "The name must not contain control characters."
NAME_TAKEN = "You already have a saved filter with this name."
NOTHING_TO_SAVE = "Set at least one filter before saving."
TOO_MANY = "You can keep at most 50 saved filters; delete one first."


def _uuid_text(value: str) -> str | None:
    try:
        return str(UUID(value))
    except ValueError:
        return None


def normalize_filter_query(pairs: Iterable[tuple[str, str]], *, staff: bool) -> str:
    """The list page's filters as a canonical query string: known keys only, in
    FILTER_KEYS order, values the page would act on (so the string means exactly what
    the page shows), defaults and empty values dropped. Single-valued keys take their
    first value, as the page does; `assignee` is a staff filter."""
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in FILTER_KEYS:
            values.setdefault(key, []).append(value)

    def first(key: str) -> str:
        return (values.get(key) or [""])[0]

    def members(key: str, allowed: Sequence[str]) -> list[str]:
        given = set(values.get(key, []))
        return [v for v in allowed if v in given]

    out: list[tuple[str, str]] = []
    q = first("q").strip()[:Q_MAX].strip()
    if q:
        out.append(("q", q))
    out.extend(("status", s) for s in members("status", [s.value for s in Status]))
    out.extend(("priority", p) for p in members("priority", [p.value for p in Priority]))
    category = _uuid_text(first("category")) if first("category") else None
    if category:
        out.append(("category", category))
    assignee = first("assignee")
    if staff and assignee:
        chosen = assignee if assignee in ("me", "none") else _uuid_text(assignee)
        if chosen:
            out.append(("assignee", chosen))
    if first("overdue") == "1":
        out.append(("overdue", "1"))
    if first("sort") == "created":  # the only order besides the default
        out.append(("sort", "created"))
    return urlencode(out)


def clean_name(raw: str) -> str:
    """A name as typed, with runs of white space (line breaks too) made one space."""
    return " ".join(raw.split())


def saved_filter_problem(name: str, query: str, existing_names: Sequence[str] = ()) -> str | None:
    """Why a (cleaned) name and a normalized query cannot be saved next to the user's
    existing filters, or None. Names compare case-insensitively, as the database does."""
    if not name:
        return NAME_EMPTY
    if len(name) > NAME_MAX:
        return NAME_TOO_LONG
    if any(unicodedata.category(c) == "Cc" for c in name):
        return NAME_CONTROL
    if not query:
        return NOTHING_TO_SAVE
    if name.lower() in {n.lower() for n in existing_names}:
        return NAME_TAKEN
    if len(existing_names) >= SAVED_FILTERS_MAX:
        return TOO_MANY
    return None


# --- the store -------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedFilter:
    id: UUID
    name: str
    query: str


async def saved_filters_of(
    conn: asyncpg.Pool | asyncpg.Connection, user_id: UUID
) -> list[SavedFilter]:
    rows = await conn.fetch(
        "SELECT id, name, query FROM saved_filters WHERE user_id = $1"
        " ORDER BY lower(name), created_at",
        user_id,
    )
    return [SavedFilter(row["id"], row["name"], row["query"]) for row in rows]


async def save_filter(pool: asyncpg.Pool, user_id: UUID, name: str, query: str) -> str | None:
    """Saves a filter, or answers the problem that kept it from being written."""
    async with pool.acquire() as conn, conn.transaction():
        # One user's saves run one at a time, so the limit and the name check hold.
        await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", user_id)
        existing = [f.name for f in await saved_filters_of(conn, user_id)]
        problem = saved_filter_problem(name, query, existing)
        if problem:
            return problem
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO saved_filters (id, user_id, name, query) VALUES ($1, $2, $3, $4)",
                    uuid4(),
                    user_id,
                    name,
                    query,
                )
        except asyncpg.UniqueViolationError:
            return NAME_TAKEN  # the database's lower() folds a case Python's did not
    return None


async def delete_filter(pool: asyncpg.Pool, user_id: UUID, filter_id: UUID) -> bool:
    """Deletes one of the user's own filters; False when they have none by that id."""
    deleted = await pool.fetchval(
        "DELETE FROM saved_filters WHERE id = $1 AND user_id = $2 RETURNING id",
        filter_id,
        user_id,
    )
    return deleted is not None
