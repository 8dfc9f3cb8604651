"""Lists, searches and counts of incidents, and their states for routing."""

from __future__ import annotations

from desk_contracts import utc_now
from desk_contracts.enums import Priority, Status
from desk_contracts.messages import (
    CountIncidents,
    IncidentCount,
    IncidentCounts,
    IncidentPage,
    IncidentState,
    IncidentStates,
    ListIncidents,
    ListIncidentStates,
)
from desk_runtime.errors import Forbidden, Invalid
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from ..store import categories as category_store
from ..store import incidents as store
from ..views import list_item, view_principal

handlers = Handlers()

# Lists count their matches exactly up to this many (then "10,000+").
COUNT_CAP = 10_000


@handlers.answers(ListIncidentStates)
async def list_incident_states(query: ListIncidentStates, service: Service) -> IncidentStates:
    """Open incidents in id order (or the named ones in any state): status, assignee
    and registration facts, for routing to reconcile its books with."""
    rows = await store.states(
        service.pool, incident_ids=query.incident_ids, after=query.after, limit=query.limit
    )
    paged = query.incident_ids is None and len(rows) == query.limit
    return IncidentStates(
        items=tuple(
            IncidentState(
                incident_id=r["id"],
                status=Status(r["status"]),
                assignee_id=r["assignee_id"],
                assigned_at=r["assigned_at"],
                category_path=tuple(r["category_path"]),
                priority=Priority(r["priority"]),
                registered_at=r["created_at"],
            )
            for r in rows
        ),
        next_after=rows[-1]["id"] if paged else None,
    )


@handlers.answers(ListIncidents)
async def list_incidents(query: ListIncidents, service: Service) -> IncidentPage:
    """A page of the principal's incidents with the total, filtered at the source."""
    principal = view_principal(query.principal)
    path: tuple[str, ...] | None = None
    if query.category_id is not None:
        category = await category_store.category(service.pool, query.category_id)
        if category is None:
            raise Invalid.field("category", "unknown category")
        path = tuple(category["path"])
    counted, rows = await store.page(
        service.pool, query, principal, category_path=path, now=utc_now(), cap=COUNT_CAP
    )
    return IncidentPage(
        total=min(counted, COUNT_CAP),
        total_exact=counted <= COUNT_CAP,
        items=tuple(list_item(principal, r) for r in rows),
    )


@handlers.answers(CountIncidents)
async def count_incidents(query: CountIncidents, service: Service) -> IncidentCounts:
    """Staff's tree of counts by category × priority × status."""
    principal = view_principal(query.principal)
    if not principal.is_staff:
        raise Forbidden("staff only")
    rows = await store.counts(service.pool, principal, organization_id=query.organization_id)
    groups = tuple(
        IncidentCount(
            category_id=r["category_id"],
            category_path=tuple(r["category_path"]),
            priority=r["priority"],
            status=r["status"],
            count=r["n"],
        )
        for r in rows
    )
    return IncidentCounts(total=sum(g.count for g in groups), groups=groups)
