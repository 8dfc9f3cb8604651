"""What other services decided about an incident: its assignee (routing) and its due
times (sla), kept next to it for lists, filters and history."""

from __future__ import annotations

from desk_contracts.enums import EntryKind, Status, Visibility
from desk_contracts.messages import DeadlinesSet, IncidentAssigned
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import UnitOfWork

from ..domain.deadlines import deadline_line
from ..history import transition, write_entry
from ..store import incidents as store

handlers = Handlers()
log = get_logger(__name__)


@handlers.handles(IncidentAssigned)
async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
    """Records the assignee; a new incident becomes `assigned`, others keep status."""
    row = await store.incident_for_update(uow.conn, event.incident_id)
    if row is None:
        raise LookupError(f"incident {event.incident_id} not known")
    previous = Status(row["status"])
    # Two quick reassignments may arrive out of order: the later decision stands,
    # the earlier one is still history.
    latest = row["assigned_at"] is None or row["assigned_at"] <= event.assigned_at
    if latest and previous is not Status.NEW:  # a new one's transition writes it
        await store.assign(uow.conn, event.incident_id, event.agent_id, event.assigned_at)
    await write_entry(
        uow,
        row,
        kind=EntryKind.ASSIGNMENT,
        visibility=Visibility.INTERNAL,
        text=f"Assigned: {event.reason}",
        facts={"line": "assigned", "reason": event.reason},
        at=event.assigned_at,
        assignee_id=event.agent_id if latest else row["assignee_id"],
    )
    if latest and previous is Status.NEW:
        # sla, routing and notify learn new → assigned from IncidentAssigned itself.
        await transition(
            uow,
            row,
            Status.ASSIGNED,
            event.assigned_at,
            assignee_id=event.agent_id,
            assigned_at=event.assigned_at,
            announce=False,
        )


@handlers.handles(DeadlinesSet)
async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
    """Keeps the due times next to the incident for lists, filters and `overdue`."""
    row = await store.incident_for_update(uow.conn, event.incident_id)
    if row is None:
        raise LookupError(f"incident {event.incident_id} not known")
    # Applied only if no later computation has been: sla announces again on every
    # pause and reclassification, and two announcements may arrive swapped.
    applied = await store.set_deadlines(
        uow.conn,
        event.incident_id,
        response_due=event.response_due,
        resolution_due=event.resolution_due,
        computed_at=event.computed_at,
    )
    if not applied:
        # Overtaken by a later computation: its due times are the ones that stand,
        # and the history must not end on these.
        log.info("deadlines_superseded", computed_at=event.computed_at.isoformat())
        return
    # `row` was read before the update: the due times that stood until now.
    line = deadline_line(
        previous_response=row["response_due"],
        previous_resolution=row["resolution_due"],
        response_due=event.response_due,
        resolution_due=event.resolution_due,
        contract=f"{event.contract_name} v{event.contract_version}",
    )
    if line is None:
        return  # recomputed to the same due times: nothing to tell
    text, facts = line
    await write_entry(
        uow,
        row,
        kind=EntryKind.DEADLINE,
        visibility=Visibility.PUBLIC,
        text=text,
        facts=facts,
        at=event.computed_at,
    )
