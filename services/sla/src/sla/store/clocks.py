"""An incident's clocks as stored: `incident_clocks` (due times, actual times, breaches,
the protocol), its stops (`incident_pauses`), the status changes it went through, its
answered next replies (`reply_clocks`) and the record of each computation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg
from desk_contracts.enums import Status
from desk_contracts.messages import IncidentRegistered
from desk_runtime.errors import NotYet

from ..domain import Pause
from ..domain.history import StatusChange

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

# The fact every other event about an incident waits for: its registration.
INCIDENT = "incident"

CLOCKS = ("response", "next_reply", "resolution")


async def load_clock(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM incident_clocks WHERE incident_id = $1 FOR UPDATE", incident_id
    )


async def require_clock(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record:
    row = await load_clock(conn, incident_id)
    if row is None:
        # The registration travels on another queue and may still be on its way: the
        # message waits for it, parked (its handling follows the registration).
        raise NotYet(INCIDENT, incident_id, f"incident {incident_id} not registered with sla yet")
    return row


async def read_clock(db: Db, incident_id: UUID) -> asyncpg.Record | None:
    """The clock as it stands, unlocked (for reading)."""
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT * FROM incident_clocks WHERE incident_id = $1", incident_id
    )
    return row


async def register(
    conn: asyncpg.Connection, event: IncidentRegistered, values: dict[str, Any]
) -> asyncpg.Record | None:
    """A new incident's clock with its protocol, and the computation's record, in one
    statement; None if a redelivery finds the clock there. `values` are the columns the
    first computation yields (contract, due times, protocol, calendar)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        WITH clock AS (
            INSERT INTO incident_clocks (incident_id, organization_id, contract_id,
                contract_version, registered_at, category_path, priority, response_due,
                resolution_due, reminder_at, response_reminder_at, paused_seconds,
                client_delay_seconds, protocol, computed_at, number, category_id,
                calendar_name, calendar, status, clock_starts_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, $12, $13, $14, $15,
                $16, $17, 'new', $18)
            ON CONFLICT (incident_id) DO NOTHING RETURNING *
        ), recorded AS (
            INSERT INTO computations (incident_id, reason, computed_at, steps)
            SELECT incident_id, 'registered', computed_at, protocol FROM clock
        )
        SELECT * FROM clock
        """,
        event.incident_id,
        event.organization_id,
        values["contract_id"],
        values["contract_version"],
        event.registered_at,
        list(event.category_path),
        event.priority.value,
        values["response_due"],
        values["resolution_due"],
        values["reminder_at"],
        values["response_reminder_at"],
        values["protocol"],
        values["computed_at"],
        event.number,
        event.category_id,
        values["calendar_name"],
        values["calendar"],
        values.get("clock_starts_at"),
    )
    return row


async def store_computation(
    conn: asyncpg.Connection, incident_id: UUID, reason: str, values: dict[str, Any]
) -> asyncpg.Record:
    """A recomputation's due times, protocol and breaches, and its record, in one round
    trip; the clock as it now stands."""
    row: asyncpg.Record = await conn.fetchrow(
        """
        WITH stored AS (
            UPDATE incident_clocks SET response_due = $2, resolution_due = $3,
                reminder_at = $4, response_reminder_at = $5, paused_seconds = $6,
                client_delay_seconds = $7, protocol = $8, computed_at = $9,
                response_breached_at = $11, resolution_breached_at = $12,
                next_reply_breached_at = $13, next_reply_due = $14, breaches_final_at = $15
            WHERE incident_id = $1
            RETURNING *
        ), recorded AS (
            INSERT INTO computations (incident_id, reason, computed_at, steps)
            VALUES ($1, $10, $9, $8)
        )
        SELECT * FROM stored
        """,
        incident_id,
        values["response_due"],
        values["resolution_due"],
        values["reminder_at"],
        values["response_reminder_at"],
        values["paused_seconds"],
        values["client_delay_seconds"],
        values["protocol"],
        values["computed_at"],
        reason,
        values["response_breached_at"],
        values["resolution_breached_at"],
        values["next_reply_breached_at"],
        values["next_reply_due"],
        values["breaches_final_at"],
    )
    return row


# --- stops and status changes -------------------------------------------------------------


async def pauses_of(db: Db, incident_id: UUID) -> list[Pause]:
    rows = await db.fetch(
        "SELECT kind, started_at, ended_at FROM incident_pauses "
        "WHERE incident_id = $1 ORDER BY started_at, id",
        incident_id,
    )
    return [Pause(row["started_at"], row["ended_at"], row["kind"]) for row in rows]


async def store_pauses(
    conn: asyncpg.Connection, incident_id: UUID, pauses: tuple[Pause, ...]
) -> bool:
    """Make the stored stops `pauses`; whether that changed them."""
    if tuple(await pauses_of(conn, incident_id)) == pauses:
        return False
    await conn.execute("DELETE FROM incident_pauses WHERE incident_id = $1", incident_id)
    await conn.executemany(
        "INSERT INTO incident_pauses (incident_id, kind, started_at, ended_at) "
        "VALUES ($1, $2, $3, $4)",
        [(incident_id, p.kind, p.started_at, p.ended_at) for p in pauses],
    )
    return True


async def record_status_change(
    conn: asyncpg.Connection, incident_id: UUID, at: datetime, previous: Status, status: Status
) -> bool:
    """Keep one status change; whether it is new (a redelivery or a repeat is not)."""
    recorded = await conn.fetchval(
        "INSERT INTO status_changes (incident_id, changed_at, previous, status) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        incident_id,
        at,
        previous.value,
        status.value,
    )
    return bool(recorded)


async def status_history(conn: asyncpg.Connection, incident_id: UUID) -> list[StatusChange]:
    rows = await conn.fetch(
        "SELECT changed_at, previous, status FROM status_changes WHERE incident_id = $1",
        incident_id,
    )
    return [
        StatusChange(row["changed_at"], Status(row["previous"]), Status(row["status"]))
        for row in rows
    ]


async def set_status(
    conn: asyncpg.Connection,
    incident_id: UUID,
    status: Status,
    *,
    reopened: bool,
    closed_at: datetime | None,
) -> None:
    """The status replayed from every change known, one more reopen if this change is
    one, and when it was closed (kept once known)."""
    await conn.execute(
        "UPDATE incident_clocks SET status = $2, reopen_count = reopen_count + $3::int, "
        "closed_at = coalesce($4, closed_at) WHERE incident_id = $1",
        incident_id,
        status.value,
        1 if reopened else 0,
        closed_at,
    )


async def set_resolution(
    conn: asyncpg.Connection, incident_id: UUID, at: datetime | None, business_seconds: float | None
) -> None:
    """When the incident was resolved and the business time that took (None: open)."""
    await conn.execute(
        "UPDATE incident_clocks SET resolved_at = $2, resolution_business_seconds = $3 "
        "WHERE incident_id = $1",
        incident_id,
        at,
        business_seconds,
    )


# --- answers to the client ----------------------------------------------------------------


async def set_first_response(
    conn: asyncpg.Connection,
    incident_id: UUID,
    at: datetime,
    business_seconds: float,
    due: datetime,
) -> None:
    """The first response, with the due time it is measured against (kept from now on)."""
    await conn.execute(
        "UPDATE incident_clocks SET first_response_at = $2, response_business_seconds = $3, "
        "response_due = $4 WHERE incident_id = $1",
        incident_id,
        at,
        business_seconds,
        due,
    )


async def open_next_reply(
    conn: asyncpg.Connection,
    incident_id: UUID,
    started_at: datetime,
    due: datetime,
    target_seconds: float,
) -> None:
    await conn.execute(
        "UPDATE incident_clocks SET next_reply_started_at = $2, next_reply_due = $3, "
        "next_reply_target_seconds = $4, next_reply_breached_at = NULL WHERE incident_id = $1",
        incident_id,
        started_at,
        due,
        target_seconds,
    )


async def answer_next_reply(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    started_at: datetime,
    target_seconds: float,
    due: datetime,
    answered_at: datetime,
    business_seconds: float,
    breached_at: datetime | None,
) -> None:
    """Keep the answered clock as measured and clear the open one."""
    await conn.execute(
        """
        INSERT INTO reply_clocks (incident_id, started_at, target_seconds, due_at, answered_at,
            business_seconds, breached_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
        """,
        incident_id,
        started_at,
        target_seconds,
        due,
        answered_at,
        business_seconds,
        breached_at,
    )
    await conn.execute(
        "UPDATE incident_clocks SET next_reply_started_at = NULL, next_reply_due = NULL, "
        "next_reply_target_seconds = NULL, next_reply_breached_at = NULL WHERE incident_id = $1",
        incident_id,
    )


async def last_answered_reply(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM reply_clocks WHERE incident_id = $1 ORDER BY started_at DESC LIMIT 1",
        incident_id,
    )
    return row


# --- assignee, category and priority ------------------------------------------------------


async def assign(conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID, at: datetime) -> bool:
    """The assignee as of `at`, unless a later assignment is kept (a new incident is now
    `assigned`); whether it was kept."""
    recorded = await conn.fetchval(
        "UPDATE incident_clocks SET assignee_id = $2, assigned_at = $3, "
        "status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END "
        "WHERE incident_id = $1 AND (assigned_at IS NULL OR assigned_at <= $3) "
        "RETURNING true",
        incident_id,
        agent_id,
        at,
    )
    return bool(recorded)


async def assigned_after(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> bool:
    """Whether the incident is registered and assigned later than `at`."""
    return bool(
        await conn.fetchval(
            "SELECT assigned_at > $2 FROM incident_clocks WHERE incident_id = $1",
            incident_id,
            at,
        )
    )


async def reclassify(
    conn: asyncpg.Connection,
    incident_id: UUID,
    category_id: UUID,
    category_path: tuple[str, ...],
    priority: str,
) -> None:
    await conn.execute(
        "UPDATE incident_clocks SET category_id = $2, category_path = $3, priority = $4 "
        "WHERE incident_id = $1",
        incident_id,
        category_id,
        list(category_path),
        priority,
    )


# --- breaches the timers announce ---------------------------------------------------------


async def record_breaches(
    conn: asyncpg.Connection, clock: str, breaches: list[tuple[UUID, datetime]]
) -> None:
    """(incident, due time) of each breach of `clock` a timer announced, unless one is
    recorded already."""
    assert clock in CLOCKS
    await conn.execute(
        f"""
        UPDATE incident_clocks c SET {clock}_breached_at = b.due_at
        FROM unnest($1::uuid[], $2::timestamptz[]) AS b (incident_id, due_at)
        WHERE c.incident_id = b.incident_id AND c.{clock}_breached_at IS NULL
        """,
        [incident_id for incident_id, _ in breaches],
        [due for _, due in breaches],
    )


async def computations_of(conn: asyncpg.Connection, incident_id: UUID) -> list[asyncpg.Record]:
    """Why and when each computation of the incident was made, in order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT reason, computed_at FROM computations WHERE incident_id = $1 ORDER BY id",
        incident_id,
    )
    return rows
