"""The SQL of the reconciliation with intake (`reconcile.py`): routing's books read
whole, then corrected in bulk. Every agent's row is locked by the caller first
(`store.lock_every_agent`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import asyncpg

from .reconciliation import Booking, IntakeIncident


def _booking(row: asyncpg.Record) -> Booking:
    return Booking(row["incident_id"], row["agent_id"], row["is_open"], row["assigned_at"])


async def open_bookings(conn: asyncpg.Connection) -> dict[UUID, Booking]:
    rows = await conn.fetch(
        "SELECT incident_id, agent_id, is_open, assigned_at FROM assignments WHERE is_open"
    )
    return {row["incident_id"]: _booking(row) for row in rows}


async def closed_bookings(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, Booking]:
    rows = await conn.fetch(
        "SELECT incident_id, agent_id, is_open, assigned_at FROM assignments "
        "WHERE NOT is_open AND incident_id = ANY($1::uuid[])",
        ids,
    )
    return {row["incident_id"]: _booking(row) for row in rows}


async def waiting_ids(conn: asyncpg.Connection) -> tuple[set[UUID], set[UUID]]:
    """The incidents waiting for a first agent (backlog and arrivals), and those waiting
    for another one (escalated)."""
    waiting = await conn.fetch(
        "SELECT incident_id FROM backlog WHERE escalated_from IS NULL "
        "UNION SELECT incident_id FROM arrivals"
    )
    escalating = await conn.fetch(
        "SELECT incident_id FROM backlog WHERE escalated_from IS NOT NULL"
    )
    return (
        {row["incident_id"] for row in waiting},
        {row["incident_id"] for row in escalating},
    )


async def rebook(
    conn: asyncpg.Connection, bookings: Iterable[tuple[Booking, IntakeIncident]], reason: str
) -> None:
    """Book each incident on the agent intake records (added or moved bookings)."""
    for booking, truth in bookings:
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
            reason,
        )


async def set_open(conn: asyncpg.Connection, ids: Sequence[UUID], is_open: bool) -> None:
    await conn.execute(
        "UPDATE assignments SET is_open = $2 WHERE incident_id = ANY($1::uuid[])", ids, is_open
    )


async def drop_waiting(conn: asyncpg.Connection, ids: Sequence[UUID]) -> None:
    """These wait no longer. Rows another transaction holds are on their way somewhere:
    the next run sees them."""
    for table in ("backlog", "arrivals"):
        await conn.execute(
            f"DELETE FROM {table} WHERE incident_id IN (SELECT incident_id FROM {table} "
            "WHERE incident_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)",
            ids,
        )


async def queue_arrivals(conn: asyncpg.Connection, incidents: Sequence[IntakeIncident]) -> None:
    """Queue open incidents nobody placed for the assigner; a resolution routing heard of
    before stands no more (intake says they are open)."""
    await conn.executemany(
        "INSERT INTO arrivals (incident_id, category_path, priority, registered_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id) DO NOTHING",
        [
            (t.incident_id, list(t.category_path), t.priority.value, t.registered_at)
            for t in incidents
        ],
    )
    await conn.execute(
        "DELETE FROM incident_states WHERE incident_id = ANY($1::uuid[]) AND NOT is_open",
        [t.incident_id for t in incidents],
    )
