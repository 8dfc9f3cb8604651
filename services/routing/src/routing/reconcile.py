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

from . import assignment
from .reconciliation import Booking, IntakeIncident, plan_reconciliation

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


def _booking(row: asyncpg.Record) -> Booking:
    return Booking(row["incident_id"], row["agent_id"], row["is_open"], row["assigned_at"])


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
    agents = {
        row["agent_id"]
        for row in await conn.fetch("SELECT agent_id FROM agents ORDER BY agent_id FOR UPDATE")
    }
    bookings = {
        row["incident_id"]: _booking(row)
        for row in await conn.fetch(
            "SELECT incident_id, agent_id, is_open, assigned_at FROM assignments WHERE is_open"
        )
    }
    waiting = {
        row["incident_id"]
        for row in await conn.fetch(
            "SELECT incident_id FROM backlog WHERE escalated_from IS NULL "
            "UNION SELECT incident_id FROM arrivals"
        )
    }
    escalating = {
        row["incident_id"]
        for row in await conn.fetch(
            "SELECT incident_id FROM backlog WHERE escalated_from IS NOT NULL"
        )
    }
    intake = await read_intake(ask, set(bookings) | waiting | escalating)
    # Closed bookings matter only where intake says the incident is open again.
    bookings.update(
        (row["incident_id"], _booking(row))
        for row in await conn.fetch(
            "SELECT incident_id, agent_id, is_open, assigned_at FROM assignments "
            "WHERE NOT is_open AND incident_id = ANY($1::uuid[])",
            [i for i, truth in intake.items() if truth.is_open],
        )
    )
    plan = plan_reconciliation(intake, bookings, waiting, agents, escalating)

    for booking in (*plan.add, *plan.move):
        truth = intake[booking.incident_id]
        await conn.execute(
            """
            INSERT INTO assignments (incident_id, agent_id, category_path, priority,
                registered_at, assigned_at, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (incident_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,
                assigned_at = EXCLUDED.assigned_at, reason = EXCLUDED.reason, is_open = true
            """,
            booking.incident_id,
            booking.agent_id,
            list(truth.category_path),
            truth.priority.value,
            truth.registered_at,
            booking.assigned_at,
            RECONCILED_REASON,
        )
    await conn.execute(
        "UPDATE assignments SET is_open = false WHERE incident_id = ANY($1::uuid[])", plan.close
    )
    await conn.execute(
        "UPDATE assignments SET is_open = true WHERE incident_id = ANY($1::uuid[])", plan.reopen
    )
    # Rows another transaction holds are on their way somewhere: the next run sees them.
    for table in ("backlog", "arrivals"):
        await conn.execute(
            f"DELETE FROM {table} WHERE incident_id IN (SELECT incident_id FROM {table} "
            "WHERE incident_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)",
            plan.drop_waiting,
        )
    await conn.executemany(
        "INSERT INTO arrivals (incident_id, category_path, priority, registered_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id) DO NOTHING",
        [
            (t.incident_id, list(t.category_path), t.priority.value, t.registered_at)
            for t in plan.arrivals
        ],
    )
    # Intake says these are open: a resolution routing heard of before stands no more.
    await conn.execute(
        "DELETE FROM incident_states WHERE incident_id = ANY($1::uuid[]) AND NOT is_open",
        [t.incident_id for t in plan.arrivals],
    )
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
