"""SQL of the staffing facts (SPEC §15): incidents' arrival, answers and work, agents'
online stretches. The rules that read them are routing.staffing."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from .staffing import Arrival


async def record_arrival(
    conn: asyncpg.Connection,
    *,
    incident_id: UUID,
    channel: str,
    organization_id: UUID,
    number: str,
    title: str,
    registered_at: datetime,
) -> None:
    """The client waits for an answer from registration on. An assignment made before
    this row existed (in the same transaction) is its first one."""
    await conn.execute(
        "INSERT INTO staffing_incidents (incident_id, channel, organization_id, number, "
        "title, registered_at, client_waiting_since, first_assigned_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6, "
        "(SELECT assigned_at FROM assignments WHERE incident_id = $1)) "
        "ON CONFLICT (incident_id) DO NOTHING",
        incident_id,
        channel,
        organization_id,
        number,
        title,
        registered_at,
    )


async def record_history(
    conn: asyncpg.Connection,
    *,
    incident_id: UUID,
    channel: str,
    organization_id: UUID,
    number: str,
    title: str,
    registered_at: datetime,
    assigned_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
) -> None:
    """A past incident's facts as the live path leaves them once it is resolved: nobody
    waits, the worked time is first assignment → resolution (none of it paused)."""
    await conn.execute(
        "INSERT INTO staffing_incidents (incident_id, channel, organization_id, number, "
        "title, registered_at, first_assigned_at, first_response_at, resolved_at, "
        "worked_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, "
        "GREATEST(0, EXTRACT(EPOCH FROM $9::timestamptz - $7::timestamptz))) "
        "ON CONFLICT (incident_id) DO NOTHING",
        incident_id,
        channel,
        organization_id,
        number,
        title,
        registered_at,
        assigned_at,
        first_response_at,
        resolved_at,
    )


async def record_stretches(
    conn: asyncpg.Connection, stretches: list[tuple[UUID, datetime, datetime]]
) -> None:
    """Past online stretches, each kept once."""
    await conn.executemany(
        "INSERT INTO presence_intervals (agent_id, started_at, ended_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        stretches,
    )


async def known_elsewhere(conn: asyncpg.Connection, incident_id: UUID) -> bool:
    """Routing knew the incident before it kept staffing facts (no fact will come)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE incident_id = $1) "
            "OR EXISTS (SELECT 1 FROM incident_states WHERE incident_id = $1) "
            "OR EXISTS (SELECT 1 FROM backlog WHERE incident_id = $1)",
            incident_id,
        )
    )


async def set_response_due(conn: asyncpg.Connection, incident_id: UUID, due: datetime) -> bool:
    done: str = await conn.execute(
        "UPDATE staffing_incidents SET response_due = $2 WHERE incident_id = $1",
        incident_id,
        due,
    )
    return done != "UPDATE 0"


async def staff_answered(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> bool:
    done: str = await conn.execute(
        "UPDATE staffing_incidents SET first_response_at = LEAST(first_response_at, $2), "
        "client_waiting_since = NULL WHERE incident_id = $1",
        incident_id,
        at,
    )
    return done != "UPDATE 0"


async def client_wrote(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> bool:
    """A client's public message on an open incident starts (or continues) a wait."""
    done: str = await conn.execute(
        "UPDATE staffing_incidents SET client_waiting_since = "
        "CASE WHEN resolved_at IS NULL AND paused_since IS NULL "
        "THEN LEAST(client_waiting_since, $2) END "
        "WHERE incident_id = $1",
        incident_id,
        at,
    )
    return done != "UPDATE 0"


async def paused(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> None:
    """Waiting on the client: its wait for us ends, the worked time stops."""
    await conn.execute(
        "UPDATE staffing_incidents SET paused_since = COALESCE(paused_since, $2), "
        "client_waiting_since = NULL WHERE incident_id = $1",
        incident_id,
        at,
    )


async def resumed(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE staffing_incidents SET paused_seconds = paused_seconds + "
        "GREATEST(0, EXTRACT(EPOCH FROM $2 - paused_since)), paused_since = NULL "
        "WHERE incident_id = $1 AND paused_since IS NOT NULL",
        incident_id,
        at,
    )


async def resolved(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> None:
    """Worked time: first assignment → resolution, less the time waiting on the client."""
    await resumed(conn, incident_id, at)
    await conn.execute(
        "UPDATE staffing_incidents SET resolved_at = $2, client_waiting_since = NULL, "
        "worked_seconds = CASE WHEN first_assigned_at IS NULL THEN NULL ELSE "
        "GREATEST(0, EXTRACT(EPOCH FROM $2 - first_assigned_at) - paused_seconds) END "
        "WHERE incident_id = $1",
        incident_id,
        at,
    )


async def reopened(conn: asyncpg.Connection, incident_id: UUID, at: datetime) -> None:
    """Reopened: the client waits again; the work is measured anew up to the next
    resolution (from the first assignment, less every pause)."""
    await conn.execute(
        "UPDATE staffing_incidents SET resolved_at = NULL, worked_seconds = NULL, "
        "client_waiting_since = $2 WHERE incident_id = $1",
        incident_id,
        at,
    )


async def closed(conn: asyncpg.Connection, incident_id: UUID) -> None:
    await conn.execute(
        "UPDATE staffing_incidents SET client_waiting_since = NULL WHERE incident_id = $1",
        incident_id,
    )


async def arrivals(
    conn: asyncpg.Connection, start: datetime, end: datetime
) -> tuple[list[Arrival], list[tuple[datetime, str]], list[float]]:
    """The window's arrivals (with worked time and whether the first answer came in
    time), their channels, and their response targets in minutes."""
    rows = await conn.fetch(
        "SELECT registered_at, channel, worked_seconds, "
        "CASE WHEN response_due IS NULL OR first_response_at IS NULL THEN NULL "
        "ELSE first_response_at <= response_due END AS in_time, "
        "EXTRACT(EPOCH FROM response_due - registered_at) / 60 AS target_minutes "
        "FROM staffing_incidents WHERE registered_at >= $1 AND registered_at < $2",
        start,
        end,
    )
    facts = [
        Arrival(
            at=row["registered_at"],
            handle_minutes=None if row["worked_seconds"] is None else row["worked_seconds"] / 60,
            responded_within_target=row["in_time"],
        )
        for row in rows
    ]
    channels = [(row["registered_at"], row["channel"]) for row in rows]
    targets = [float(row["target_minutes"]) for row in rows if row["target_minutes"]]
    return facts, channels, targets


async def online_intervals(
    conn: asyncpg.Connection, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    rows = await conn.fetch(
        "SELECT started_at, COALESCE(ended_at, $2) AS ended_at FROM presence_intervals "
        "WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1)",
        start,
        end,
    )
    return [(row["started_at"], row["ended_at"]) for row in rows]


async def first_fact(conn: asyncpg.Connection) -> datetime | None:
    """The earliest arrival or online stretch kept: since when the desk has figures."""
    value: datetime | None = await conn.fetchval(
        "SELECT least((SELECT min(registered_at) FROM staffing_incidents), "
        "(SELECT min(started_at) FROM presence_intervals))"
    )
    return value


async def mean_capacity(conn: asyncpg.Connection) -> float:
    value = await conn.fetchval("SELECT avg(capacity) FROM agents WHERE active AND capacity > 0")
    return float(value) if value else 1.0


async def waiting_clients(
    conn: asyncpg.Connection, now: datetime, default_target_minutes: float, limit: int
) -> tuple[list[asyncpg.Record], int]:
    """Incidents whose client has waited longer than their response target (the time
    from registration to the response due; `default_target_minutes` without one)."""
    query = (
        "FROM staffing_incidents s LEFT JOIN assignments a "
        "ON a.incident_id = s.incident_id AND a.is_open "
        "WHERE s.client_waiting_since IS NOT NULL AND s.client_waiting_since + "
        "COALESCE(s.response_due - s.registered_at, make_interval(mins => $2::int)) < $1"
    )
    rows = await conn.fetch(
        "SELECT s.incident_id, s.number, s.title, s.organization_id, a.agent_id, "
        "s.client_waiting_since, EXTRACT(EPOCH FROM $1 - s.client_waiting_since) / 60 "
        "AS waited_minutes, COALESCE(EXTRACT(EPOCH FROM s.response_due - s.registered_at) "
        "/ 60, $2) AS target_minutes "
        f"{query} ORDER BY s.client_waiting_since LIMIT $3",
        now,
        round(default_target_minutes),
        limit,
    )
    total = await conn.fetchval(f"SELECT count(*) {query}", now, round(default_target_minutes))
    return rows, int(total)
