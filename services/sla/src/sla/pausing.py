"""Pausing the SLA clock: waiting on the client stops the clocks (client-caused delay),
resolving stops them until a reopen, and leaving either state resumes them, moving the
due times.

Changes arrive in any order, so the state is replayed from every change known, in the
order they happened (the pure `domain.history.replay`): a late, older change never undoes
a newer one, and its interval is still booked."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from desk_contracts.enums import Status
from desk_contracts.messages import IncidentStatusChanged
from desk_runtime.service import UnitOfWork

from . import clocks
from .domain import business_elapsed
from .domain.history import STOPPED, replay
from .store import clocks as store


async def follow_status(uow: UnitOfWork, event: IncidentStatusChanged) -> None:
    """Book the change, replay the incident's state from every change known, store its
    stops and resolution, and recompute if the clocks' course changed."""
    conn = uow.conn
    row = await store.require_clock(conn, event.incident_id)
    recorded = await store.record_status_change(
        conn, event.incident_id, event.changed_at, event.previous, event.status
    )
    state = replay(await store.status_history(conn, event.incident_id))
    # Each reopen counts once, whenever it arrives.
    reopen = recorded and event.status is Status.REOPENED and event.previous in STOPPED
    await store.set_status(
        conn, event.incident_id, state.status, reopened=reopen, closed_at=state.closed_at
    )
    moved = await store.store_pauses(conn, event.incident_id, state.pauses)
    resolved_at = (
        max(state.resolved_at, row["registered_at"]) if state.resolved_at is not None else None
    )
    stopped = state.status in STOPPED
    if (
        not moved
        and resolved_at == row["resolved_at"]
        and stopped == (row["status"] in clocks.STOPPED)
    ):
        # new → assigned → in progress: the clocks ran before and run after, so the
        # deadlines, the protocol and the timers stay as they are.
        return
    if resolved_at is None:
        await store.set_resolution(conn, event.incident_id, None, None)
    else:
        # Also when a late change moved the stops before the resolution.
        await record_resolution(uow, event.incident_id, resolved_at)
    await clocks.refresh(uow, event.incident_id, f"status:{event.status.value}")


async def record_resolution(uow: UnitOfWork, incident_id: UUID, at: datetime) -> None:
    """The resolution clock's actual time and its business length; whether that was late
    `clocks.refresh` decides next, against the due time as the facts now stand."""
    conn = uow.conn
    row = await store.require_clock(conn, incident_id)
    result = await clocks.computation_for(conn, row, at)
    elapsed = business_elapsed(result.calendar, clocks.clock_origin(row), at, result.pauses)
    await store.set_resolution(conn, incident_id, at, elapsed.total_seconds())
