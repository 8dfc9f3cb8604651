"""The WHERE / ORDER BY of an incident list, built from the query and the principal.

Pure: it only assembles SQL text and parameters, so the scope rules (which are the
security boundary of every list, search and count) are unit-tested without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from desk_contracts.enums import Status
from desk_contracts.messages import ListIncidents

from .domain import visibility

OPEN_STATUSES = tuple(s.value for s in Status if s.is_open)

# Stable orders: the id breaks ties so pages never overlap or skip.
SORTS = {
    "created": "created_at ASC, id ASC",
    "-created": "created_at DESC, id DESC",
    "updated": "updated_at ASC, id ASC",
    "-updated": "updated_at DESC, id DESC",
    "due": "resolution_due ASC NULLS LAST, id ASC",
    "-due": "resolution_due DESC NULLS LAST, id DESC",
}


@dataclass
class Filter:
    clauses: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, template: str, *values: Any) -> None:
        """`template` names its parameters {0}, {1}… relative to this call."""
        numbers = []
        for value in values:
            self.args.append(value)
            numbers.append(f"${len(self.args)}")
        self.clauses.append(template.format(*numbers))

    @property
    def where(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "true"


def scope_filter(principal: visibility.Principal, into: Filter | None = None) -> Filter:
    """Rows the principal may see at all: `visibility.incident_scope` as SQL (the
    same rule `visibility.can_see_incident` checks a single row against)."""
    where = into or Filter()
    scope = visibility.incident_scope(principal)
    if scope is None:
        return where
    where.add("organization_id = {0}", scope.organization_id)
    if scope.requester_id is not None:
        where.add("requester_id = {0}", scope.requester_id)
    return where


def search_column(principal: visibility.Principal) -> str:
    """Clients search the vector without internal entries; staff the full one."""
    return "search_all" if principal.is_staff else "search_public"


def list_filter(
    query: ListIncidents,
    principal: visibility.Principal,
    *,
    category_path: tuple[str, ...] | None,
    now: datetime,
) -> Filter:
    where = scope_filter(principal)
    if query.statuses:
        where.add("status = ANY({0}::text[])", [s.value for s in query.statuses])
    if category_path is not None:
        # The whole subtree: a type matches its categories and subcategories.
        where.add("category_path[1:{0}] = {1}::text[]", len(category_path), list(category_path))
    if query.priorities:
        where.add("priority = ANY({0}::text[])", [p.value for p in query.priorities])
    if query.unassigned:
        where.add("assignee_id IS NULL")
    elif query.assignee_id is not None:
        where.add("assignee_id = {0}", query.assignee_id)
    if query.organization_id is not None:
        where.add("organization_id = {0}", query.organization_id)
    if query.equipment_id is not None:
        where.add("(equipment ->> 'equipment_id')::uuid = {0}", query.equipment_id)
    if query.number is not None:
        where.add("number = {0}", query.number)
    if query.overdue is True:
        where.add("status = ANY({0}::text[]) AND resolution_due < {1}", list(OPEN_STATUSES), now)
    elif query.overdue is False:
        where.add(
            "NOT (status = ANY({0}::text[]) AND coalesce(resolution_due < {1}, false))",
            list(OPEN_STATUSES),
            now,
        )
    words = search_words(query)
    if words is not None:
        # The same parameter list, so the subquery's numbers continue the outer ones.
        inner = search_filter(words, principal, Filter(args=where.args))
        matches = f"id IN (SELECT incident_id FROM incident_search WHERE {inner.where})"
        number = incident_number(words)
        if number is not None:
            where.args.append(number)
            matches = f"(number = ${len(where.args)} OR {matches})"
        where.clauses.append(matches)
    return where


def search_words(query: ListIncidents) -> str | None:
    return query.q.strip() if query.q and query.q.strip() else None


_NUMBER = re.compile(r"#?(?:INC[-\s]?)?0*(\d{1,9})", re.IGNORECASE)


def incident_number(words: str) -> str | None:
    """The incident number the words name ("INC-000003", "inc3", "#3", "000003"), in the
    stored form, or None when they are not a number."""
    found = _NUMBER.fullmatch(words.strip())
    if found is None or int(found.group(1)) == 0:
        return None
    return f"INC-{int(found.group(1)):06d}"


def search_filter(
    words: str, principal: visibility.Principal, into: Filter | None = None
) -> Filter:
    """Rows of `incident_search` matching the words that the principal may see.

    The search table carries the organization and requester, so a client's scope is
    part of the one GIN index (organization, requester, public vector): the index
    yields only the client's matches instead of every match in the desk.
    """
    where = scope_filter(principal, into)
    where.add(f"{search_column(principal)} @@ desk_tsquery({{0}})", words)
    return where


def is_plain_search(query: ListIncidents) -> bool:
    """Words and nothing else: the count needs only the search table."""
    return search_words(query) is not None and not (
        query.statuses
        or query.category_id is not None
        or query.priorities
        or query.unassigned
        or query.assignee_id is not None
        or query.organization_id is not None
        or query.equipment_id is not None
        or query.number is not None
        or query.overdue is not None
    )


def count_statement(
    query: ListIncidents,
    principal: visibility.Principal,
    *,
    category_path: tuple[str, ...] | None,
    now: datetime,
    cap: int,
) -> tuple[str, list[Any]]:
    """How many rows the list has, counted up to `cap` + 1 (beyond it the total is a floor)."""
    words = search_words(query)
    if words is not None and is_plain_search(query) and incident_number(words) is None:
        where = search_filter(words, principal)
        table = "incident_search"
    else:
        where = list_filter(query, principal, category_path=category_path, now=now)
        table = "incidents"
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where.where} LIMIT {cap + 1}) AS c"
    return sql, where.args


def order_by(sort: str, principal: visibility.Principal) -> str:
    """The ORDER BY of `sort`; a client's "updated" is the last public activity."""
    order = SORTS[sort]
    if principal.is_staff:
        return order
    return order.replace("updated_at", "public_updated_at")
