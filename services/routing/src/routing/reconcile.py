"""Reconciliation with intake: routing's assignments, waiting incidents and loads made to
agree with intake's incidents (the plan is `reconciliation.plan_reconciliation`).

Operators run it with `POST /api/v1/agents/reconcile` or `desk-ops reconcile`; the
service also recounts loads from its own assignments at every start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from uuid import UUID

import asyncpg
from desk_contracts.messages import (
    MAX_STATE_PAGE,
    IncidentState,
    IncidentStates,
    ListIncidentStates,
    LoadCorrection,
    LoadsReconciled,
)
from desk_runtime.logging import get_logger
from desk_runtime.service import UnitOfWork

from . import assignment, store
from . import reconcile_store as books
from .reconciliation import IntakeIncident, plan_reconciliation

log = get_logger(__name__)

AskIntake = Callable[[ListIncidentStates], Awaitable[IncidentStates]]
RECONCILED_REASON = "reconciled with intake's records"


def _truth(state: IncidentState) -> IntakeIncident:
    return IntakeIncident(
        incident_id=state.incident_id,
        is_open=state.status.is_open,
        assignee_id=state.assignee_id,
        assigned_at=state.assigned_at,
        category_path=state.category_path,
        priority=state.priority,
        registered_at=state.registered_at,
    )


def _chunks(ids: Sequence[UUID], size: int = MAX_STATE_PAGE) -> Iterable[list[UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


async def read_intake(ask: AskIntake, also: Iterable[UUID]) -> dict[UUID, IntakeIncident]:
    """Every open incident, page by page, and the state of `also` (ids intake does not
    know are absent from the result)."""
    incidents: dict[UUID, IntakeIncident] = {}
    after: UUID | None = None
    while True:
        page = await ask(ListIncidentStates(after=after, limit=MAX_STATE_PAGE))
        incidents.update((s.incident_id, _truth(s)) for s in page.items)
        if page.next_after is None:
            break
        after = page.next_after
    missing = sorted(set(also) - set(incidents))
    for chunk in _chunks(missing):
        page = await ask(ListIncidentStates(incident_ids=tuple(chunk)))
        incidents.update((s.incident_id, _truth(s)) for s in page.items)
    return incidents


async def reconcile_with_intake(uow: UnitOfWork, ask: AskIntake) -> LoadsReconciled:
    """Correct routing's books from intake's incidents, recount loads, then offer the
    backlog to whoever has room now."""
    conn = uow.conn
    # Every agent's row first, as every decision here does: no assignment, release or
    # reopen changes the books while intake is read and the corrections are written.
    agents = await store.lock_every_agent(conn)
    bookings = await books.open_bookings(conn)
    waiting, escalating = await books.waiting_ids(conn)
    intake = await read_intake(ask, set(bookings) | waiting | escalating)
    # Closed bookings matter only where intake says the incident is open again.
    bookings.update(
        await books.closed_bookings(conn, [i for i, truth in intake.items() if truth.is_open])
    )
    plan = plan_reconciliation(intake, bookings, waiting, agents, escalating)

    await books.rebook(
        conn,
        ((booking, intake[booking.incident_id]) for booking in (*plan.add, *plan.move)),
        RECONCILED_REASON,
    )
    await books.set_open(conn, plan.close, False)
    await books.set_open(conn, plan.reopen, True)
    await books.drop_waiting(conn, plan.drop_waiting)
    # Intake says these are open: a resolution routing heard of before stands no more.
    await books.queue_arrivals(conn, plan.arrivals)
    corrected = await assignment.recount_loads(conn)
    drained = await assignment.drain_backlog(uow)
    result = LoadsReconciled(
        incidents_checked=len(set(intake) | set(bookings) | waiting | escalating),
        bookings_added=len(plan.add),
        bookings_moved=len(plan.move),
        bookings_closed=len(plan.close),
        bookings_reopened=len(plan.reopen),
        arrivals_added=len(plan.arrivals),
        waiting_dropped=len(plan.drop_waiting),
        intake_behind=len(plan.intake_behind),
        unknown_agents=tuple(sorted(plan.unknown_agents)),
        loads_corrected=tuple(
            LoadCorrection(agent_id=agent_id, old=old, new=new) for agent_id, old, new in corrected
        ),
        assigned_from_backlog=drained,
    )
    log.info("loads_reconciled", **result.model_dump(mode="json", exclude={"loads_corrected"}))
    return result


async def reconcile_with_retries(
    run: Callable[[], Awaitable[LoadsReconciled]], attempts: int = 3
) -> LoadsReconciled:
    """A reconciliation racing a placement may be chosen as a deadlock's victim; it
    changes nothing then, so it is simply run again."""
    for attempt in range(1, attempts + 1):
        try:
            return await run()
        except asyncpg.DeadlockDetectedError:
            if attempt == attempts:
                raise
            log.warning("reconcile_deadlock_retry", attempt=attempt)
    raise AssertionError("unreachable")
