"""SQL for what routing learns of incidents outside its own decisions: each incident's
open/closed state in the order the changes were made, its resolution due time, and its
number and title (for the backlog people read)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def known_state(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    """The incident's last applied state (`is_open`, `changed_at`), if any."""
    return await conn.fetchrow(
        "SELECT is_open, changed_at FROM incident_states WHERE incident_id = $1", incident_id
    )


async def note_state(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    is_open: bool,
    at: datetime,
    same_side: bool = False,
) -> bool:
    """Keep `is_open` as of `at` unless a later change is kept already (and, with
    `same_side`, unless the kept state is the other side); whether it was kept."""
    side = "AND incident_states.is_open = EXCLUDED.is_open" if same_side else ""
    kept = await conn.fetchval(
        f"""
        INSERT INTO incident_states (incident_id, is_open, changed_at) VALUES ($1, $2, $3)
        ON CONFLICT (incident_id) DO UPDATE
            SET is_open = EXCLUDED.is_open, changed_at = EXCLUDED.changed_at
            WHERE incident_states.changed_at <= EXCLUDED.changed_at {side}
        RETURNING true
        """,
        incident_id,
        is_open,
        at,
    )
    return bool(kept)


async def resolved_before_registration(conn: asyncpg.Connection, incident_id: UUID) -> bool:
    """Whether a resolution of the incident came before its registration did."""
    return bool(
        await conn.fetchval(
            "SELECT NOT is_open FROM incident_states WHERE incident_id = $1", incident_id
        )
    )


async def note_deadline(
    conn: asyncpg.Connection, incident_id: UUID, resolution_due: datetime, computed_at: datetime
) -> None:
    """The resolution due time, the newest computation's."""
    await conn.execute(
        """
        INSERT INTO incident_deadlines (incident_id, resolution_due, computed_at)
        VALUES ($1, $2, $3)
        ON CONFLICT (incident_id) DO UPDATE SET resolution_due = EXCLUDED.resolution_due,
            computed_at = EXCLUDED.computed_at
        WHERE incident_deadlines.computed_at <= EXCLUDED.computed_at
        """,
        incident_id,
        resolution_due,
        computed_at,
    )


async def note_names(conn: asyncpg.Connection, incident_id: UUID, number: str, title: str) -> None:
    """The incident's number and title, from its registration."""
    await conn.execute(
        "INSERT INTO incident_names (incident_id, number, title) VALUES ($1, $2, $3) "
        "ON CONFLICT (incident_id) DO NOTHING",
        incident_id,
        number,
        title,
    )
