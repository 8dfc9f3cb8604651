"""SLA event handlers: each translates an incident's change into stored facts and lets
`clocks.refresh` recompute deadlines, protocol and timers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
from desk_contracts.enums import EntryKind, Status, Visibility
from desk_contracts.messages import (
    EntryAdded,
    IncidentAssigned,
    IncidentReclassified,
    IncidentRegistered,
    IncidentStatusChanged,
    OrganizationUpserted,
)
from desk_runtime.errors import NotYet
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork
from desk_runtime.timers import count_armed, schedule

from . import clocks, queries
from .contracts import contract_versions_for, version_in_force
from .domain import business_elapsed
from .domain.breaches import standing_breach
from .domain.history import STOPPED, replay
from .domain.replies import ReplyTurn, next_reply_due, reply_business_time, reply_turn
from .metrics import SLA_TIMERS_ARMED
from .timers import HANDLERS

log = get_logger(__name__)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# How often /metrics' count of armed timers is refreshed.
GAUGE_SECONDS = 5.0

# Entries that answer the client; status and assignment lines are bookkeeping.
RESPONSE_KINDS = (EntryKind.COMMENT, EntryKind.ATTACHMENT)


def register(service: Service) -> None:
    queries.register(service)

    schedule(service, HANDLERS)

    @service.every(GAUGE_SECONDS)
    async def count_armed_timers(service: Service) -> None:
        SLA_TIMERS_ARMED.set(await count_armed(service.pool))

    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Picks the contract version and the most specific target, computes both due
        times in business time, keeps the protocol and arms the timers."""
        # Registrations handled together mostly share an organization: one read each.
        versions = await uow.remember(
            ("contract", event.organization_id),
            lambda: contract_versions_for(uow.conn, event.organization_id),
        )
        # The version in force when the incident was registered, not when sla handles it.
        contract = version_in_force(versions, event.registered_at)
        await clocks.register_clock(uow, event, contract)

    @service.handles(IncidentStatusChanged)
    async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
        """Waiting on the client stops the clocks (client-caused delay); resolving stops
        them until a reopen; leaving either state resumes them, moving the due times.
        Changes arrive in any order, so the state is replayed from every change known,
        in the order they happened: a late, older change never undoes a newer one, and
        its interval is still booked."""
        conn = uow.conn
        row = await clocks.require_clock(conn, event.incident_id)
        recorded = await conn.fetchval(
            "INSERT INTO status_changes (incident_id, changed_at, previous, status) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            event.incident_id,
            event.changed_at,
            event.previous.value,
            event.status.value,
        )
        state = replay(await clocks.status_history(conn, event.incident_id))
        # Each reopen counts once, whenever it arrives.
        reopen = bool(recorded) and event.status is Status.REOPENED and event.previous in STOPPED
        await conn.execute(
            "UPDATE incident_clocks SET status = $2, reopen_count = reopen_count + $3::int, "
            "closed_at = coalesce($4, closed_at) WHERE incident_id = $1",
            event.incident_id,
            state.status.value,
            1 if reopen else 0,
            state.closed_at,
        )
        moved = await clocks.store_pauses(conn, event.incident_id, state.pauses)
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
            await conn.execute(
                "UPDATE incident_clocks SET resolved_at = NULL, "
                "resolution_business_seconds = NULL WHERE incident_id = $1",
                event.incident_id,
            )
        else:
            # Also when a late change moved the stops before the resolution.
            await _record_resolution(uow, event.incident_id, resolved_at)
        await clocks.refresh(uow, event.incident_id, f"status:{event.status.value}")

    @service.handles(EntryAdded)
    async def on_entry_added(event: EntryAdded, uow: UnitOfWork) -> None:
        """The first public staff reply stops the first-response clock; later, a public
        client entry starts the next-reply clock and the next public staff entry stops it."""
        if event.kind not in RESPONSE_KINDS or event.author_role is None:
            return
        conn = uow.conn
        row = await clocks.require_clock(conn, event.incident_id)
        from_staff = event.author_role.is_staff
        public = event.visibility is Visibility.PUBLIC
        reasons = []
        if public and from_staff and row["first_response_at"] is None:
            await _record_first_response(conn, row, event)
            reasons.append("first_response")
        turn = reply_turn(
            public=public,
            from_staff=from_staff,
            # Only what the client wrote after the first answer asks for a next one.
            first_response_done=row["first_response_at"] is not None
            and event.created_at >= row["first_response_at"],
            waiting_since=row["next_reply_started_at"],
        )
        if turn is ReplyTurn.OPEN:
            await _open_next_reply(conn, row, event)
            reasons.append("next_reply_started")
        elif turn is ReplyTurn.ANSWER:
            await _answer_next_reply(conn, row, event)
            reasons.append("next_reply_answered")
        if reasons:
            # Re-arms the timers: the next-reply breach comes and goes with its clock.
            await clocks.refresh(uow, event.incident_id, ", ".join(reasons))

    @service.handles(IncidentReclassified)
    async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
        """A new category or priority: the deadlines are recomputed from registration."""
        await clocks.require_clock(uow.conn, event.incident_id)
        await uow.conn.execute(
            "UPDATE incident_clocks SET category_id = $2, category_path = $3, priority = $4 "
            "WHERE incident_id = $1",
            event.incident_id,
            event.category_id,
            list(event.category_path),
            event.priority.value,
        )
        await clocks.refresh(
            uow, event.incident_id, "reclassified", announce=True, settle_breaches=False
        )

    @service.handles(IncidentAssigned)
    async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
        """Keeps the assignee for the statistics per agent; a new incident is now
        `assigned` (intake announces no separate status change for that). Of two
        assignments the later one stands, whichever arrives last; one that overtook its
        incident's registration waits for it, parked."""
        recorded = await uow.conn.fetchval(
            "UPDATE incident_clocks SET assignee_id = $2, assigned_at = $3, "
            "status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END "
            "WHERE incident_id = $1 AND (assigned_at IS NULL OR assigned_at <= $3) "
            "RETURNING true",
            event.incident_id,
            event.agent_id,
            event.assigned_at,
        )
        if recorded:
            return
        # Not registered yet, or registered just after the update looked: try again
        # once it is (an assignment overtaken by a later one is simply moot).
        later = await uow.conn.fetchval(
            "SELECT assigned_at > $2 FROM incident_clocks WHERE incident_id = $1",
            event.incident_id,
            event.assigned_at,
        )
        if not later:
            raise NotYet(clocks.INCIDENT, event.incident_id)

    @service.handles(OrganizationUpserted)
    async def on_organization(event: OrganizationUpserted, uow: UnitOfWork) -> None:
        """Which contract an organization's new incidents are registered under."""
        if event.contract_id is None:
            await uow.conn.execute(
                "DELETE FROM organization_contracts WHERE organization_id = $1",
                event.organization_id,
            )
            return
        await uow.conn.execute(
            """
            INSERT INTO organization_contracts (organization_id, contract_id) VALUES ($1, $2)
            ON CONFLICT (organization_id) DO UPDATE
                SET contract_id = EXCLUDED.contract_id, updated_at = now()
            """,
            event.organization_id,
            event.contract_id,
        )


async def _record_resolution(uow: UnitOfWork, incident_id: UUID, at: datetime) -> None:
    """The resolution clock's actual time and its business length; whether that was late
    `clocks.refresh` decides next, against the due time as the facts now stand."""
    conn = uow.conn
    row = await clocks.require_clock(conn, incident_id)
    result = await clocks.computation_for(conn, row, at)
    elapsed = business_elapsed(result.calendar, row["registered_at"], at, result.pauses)
    await conn.execute(
        "UPDATE incident_clocks SET resolved_at = $2, resolution_business_seconds = $3 "
        "WHERE incident_id = $1",
        incident_id,
        at,
        elapsed.total_seconds(),
    )


async def _record_first_response(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    """The first response, measured against the due time as of its own instant (kept
    from now on); `clocks.refresh` then settles the breach, also one that fired before
    this answer, written in time, reached sla."""
    result = await clocks.computation_for(conn, row, event.created_at)
    at = max(event.created_at, row["registered_at"])
    elapsed = business_elapsed(result.calendar, row["registered_at"], at, result.pauses)
    await conn.execute(
        "UPDATE incident_clocks SET first_response_at = $2, response_business_seconds = $3, "
        "response_due = $4 WHERE incident_id = $1",
        event.incident_id,
        at,
        elapsed.total_seconds(),
        result.deadlines.response_due,
    )


async def _open_next_reply(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    result = await clocks.computation_for(conn, row, event.created_at)
    target = result.rule.response
    # `clocks.refresh` moves the due time whenever the stops change.
    await conn.execute(
        "UPDATE incident_clocks SET next_reply_started_at = $2, next_reply_due = $3, "
        "next_reply_target_seconds = $4, next_reply_breached_at = NULL WHERE incident_id = $1",
        event.incident_id,
        event.created_at,
        next_reply_due(result.calendar, event.created_at, target, result.pauses, event.created_at),
        target.total_seconds(),
    )


async def _answer_next_reply(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    """Keep the answered clock as measured and clear the open one."""
    result = await clocks.computation_for(conn, row, event.created_at)
    started = row["next_reply_started_at"]
    at = max(event.created_at, started)
    # Every stop, an open one too (an answer while resolved): none of it counts.
    pauses = await clocks.pauses_of(conn, event.incident_id)
    target = timedelta(seconds=row["next_reply_target_seconds"])
    due = next_reply_due(result.calendar, started, target, pauses, at)
    await conn.execute(
        """
        INSERT INTO reply_clocks (incident_id, started_at, target_seconds, due_at, answered_at,
            business_seconds, breached_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
        """,
        event.incident_id,
        started,
        row["next_reply_target_seconds"],
        due,
        at,
        reply_business_time(result.calendar, started, at, pauses).total_seconds(),
        # An answer in time is met even if the breach timer fired before it was handled.
        standing_breach(due, at, row["next_reply_breached_at"]),
    )
    await conn.execute(
        "UPDATE incident_clocks SET next_reply_started_at = NULL, next_reply_due = NULL, "
        "next_reply_target_seconds = NULL, next_reply_breached_at = NULL WHERE incident_id = $1",
        event.incident_id,
    )
