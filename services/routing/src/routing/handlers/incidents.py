"""Incidents: placed when registered, followed through status changes, due times,
reclassifications and escalations, assigned by hand, and the backlog they wait in."""

from __future__ import annotations

from desk_contracts.messages import (
    AssignByHand,
    AssignmentMade,
    Backlog,
    BacklogItem,
    DeadlinesSet,
    GetBacklog,
    IncidentReclassified,
    IncidentRegistered,
    IncidentStatusChanged,
    SlaEscalated,
)
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from .. import assignment, states_store, store
from ..store import IncidentFacts

handlers = Handlers()
log = get_logger(__name__)


@handlers.handles(IncidentRegistered)
async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """Gives the new incident to the least-loaded eligible agent or backlogs it, with
    the other registrations handled in the same transaction (one lock of the agents
    for all of them)."""
    await states_store.note_names(uow.conn, event.incident_id, event.number, event.title)
    uow.gather(
        IncidentFacts(event.incident_id, event.category_path, event.priority, event.registered_at),
        assignment.place_registered,
    )


@handlers.handles(IncidentStatusChanged)
async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """Keeps loads true: resolved/closed frees the agent, a reopen takes it back (or
    places it, if nobody had it); a change that arrives after a later one is moot."""
    await assignment.follow_status(
        uow,
        # Placed only if it was never booked: it waits from when it was reopened.
        IncidentFacts(event.incident_id, event.category_path, event.priority, event.changed_at),
        is_open=event.status.is_open,
        at=event.changed_at,
    )


@handlers.handles(DeadlinesSet)
async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
    """Learns the resolution due time, which orders the backlog within a priority."""
    await states_store.note_deadline(
        uow.conn, event.incident_id, event.resolution_due, event.computed_at
    )


@handlers.handles(IncidentReclassified)
async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
    """A new category or priority changes who may take a waiting incident and where
    it waits; an assigned one stays with its agent. One that overtook the incident's
    registration waits for it, parked."""
    await assignment.reclassify(uow, event.incident_id, event.category_path, event.priority)


@handlers.handles(SlaEscalated)
async def on_escalated(event: SlaEscalated, uow: UnitOfWork) -> None:
    """A reassigning step of the escalation ladder: the least-loaded colleague takes
    over, never the current assignee; with nobody else the incident waits in the
    backlog (the head hears of the escalation itself from notify)."""
    if not event.reassign:
        return
    why = f"escalation (level {event.level})"
    if await assignment.reassign(uow, event.incident_id, why):
        # The previous assignee has room again: something waiting may fit them.
        await assignment.drain_backlog(uow)


@handlers.answers(AssignByHand)
async def assign_by_hand(request: AssignByHand, service: Service) -> AssignmentMade:
    """Staff assignment: refused (409) when the agent is not online or is full,
    unless overridden; outside the agent's skills is allowed and noted."""
    async with service.transaction() as uow:
        made = await assignment.assign_by_hand(uow, request)
    if made.changed:
        log.info("assigned_by_hand", agent_id=str(request.agent_id), override=request.override)
    return made


@handlers.answers(GetBacklog)
async def get_backlog(request: GetBacklog, service: Service) -> Backlog:
    """Waiting incidents in the order they will be assigned."""
    rows, total = await store.backlog_page(service.pool, request.limit, request.offset)
    return Backlog(
        items=tuple(
            BacklogItem(
                position=request.offset + index + 1,
                incident_id=row["incident_id"],
                priority=row["priority"],
                resolution_due=row["resolution_due"],
                registered_at=row["registered_at"],
                category_path=tuple(row["category_path"]),
                waiting_since=row["enqueued_at"],
                escalated_from=row["escalated_from"],
                number=row["number"],
                title=row["title"],
            )
            for index, row in enumerate(rows)
        ),
        total=total,
    )
