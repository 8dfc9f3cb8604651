"""Quota counts per organization, channel terms and contract month; each incident's
count; the units claimed before filing. A count row is locked while it is read and
changed, so concurrent requests for the last unit are served one after the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


@dataclass(frozen=True, order=True)
class CountKey:
    """Which count a request goes to: organization, channel, terms (scope), month."""

    organization_id: UUID
    channel: str
    scope: str
    month: date

    def args(self) -> tuple[UUID, str, str, date]:
        return (self.organization_id, self.channel, self.scope, self.month)


async def lock_count(conn: asyncpg.Connection, key: CountKey) -> asyncpg.Record:
    """The count row (created at 0), locked until the transaction ends."""
    await conn.execute(
        """
        INSERT INTO quota_counts (organization_id, channel, scope, month)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """,
        *key.args(),
    )
    row: asyncpg.Record = await conn.fetchrow(
        """
        SELECT used, warned_at FROM quota_counts
        WHERE organization_id = $1 AND channel = $2 AND scope = $3 AND month = $4
        FOR UPDATE
        """,
        *key.args(),
    )
    return row


async def add(conn: asyncpg.Connection, key: CountKey, delta: int) -> None:
    """Changes a count (never below zero); the row exists and is locked already."""
    await conn.execute(
        """
        UPDATE quota_counts SET used = greatest(used + $5, 0)
        WHERE organization_id = $1 AND channel = $2 AND scope = $3 AND month = $4
        """,
        *key.args(),
        delta,
    )


async def mark_warned(conn: asyncpg.Connection, key: CountKey) -> None:
    await conn.execute(
        """
        UPDATE quota_counts SET warned_at = now()
        WHERE organization_id = $1 AND channel = $2 AND scope = $3 AND month = $4
        """,
        *key.args(),
    )


async def counts_of(
    db: asyncpg.Connection | asyncpg.Pool, organization_id: UUID, month: date
) -> dict[tuple[str, str], int]:
    """The organization's counts in a month, by (channel, scope)."""
    rows = await db.fetch(
        "SELECT channel, scope, used FROM quota_counts WHERE organization_id = $1 AND month = $2",
        organization_id,
        month,
    )
    return {(row["channel"], row["scope"]): row["used"] for row in rows}


# --- each incident's count -------------------------------------------------------------


async def use_of(
    conn: asyncpg.Connection, incident_id: UUID, *, lock: bool = True
) -> asyncpg.Record | None:
    """The incident's count (locked for a change, unless only read)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM quota_uses WHERE incident_id = $1" + (" FOR UPDATE" if lock else ""),
        incident_id,
    )
    return row


async def record_use(
    conn: asyncpg.Connection,
    incident_id: UUID,
    key: CountKey,
    registered_at: datetime,
    over_quota: bool,
) -> bool:
    """The incident's count, once: False when it was recorded already."""
    inserted = await conn.fetchval(
        """
        INSERT INTO quota_uses
            (incident_id, organization_id, channel, scope, month, registered_at, over_quota)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (incident_id) DO NOTHING RETURNING true
        """,
        incident_id,
        *key.args(),
        registered_at,
        over_quota,
    )
    return bool(inserted)


async def move_use(
    conn: asyncpg.Connection, incident_id: UUID, key: CountKey, over_quota: bool
) -> None:
    await conn.execute(
        """
        UPDATE quota_uses SET channel = $2, scope = $3, over_quota = $4
        WHERE incident_id = $1
        """,
        incident_id,
        key.channel,
        key.scope,
        over_quota,
    )


def key_of(row: asyncpg.Record) -> CountKey:
    return CountKey(row["organization_id"], row["channel"], row["scope"], row["month"])


# --- claims ----------------------------------------------------------------------------


async def lock_request(conn: asyncpg.Connection, request_id: UUID) -> None:
    """Serialises claims repeated with the same request id."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('quota:' || $1::text))", str(request_id)
    )


async def claim_answer(conn: asyncpg.Connection, request_id: UUID) -> dict[str, Any] | None:
    answer: dict[str, Any] | None = await conn.fetchval(
        "SELECT answer FROM quota_claims WHERE request_id = $1", request_id
    )
    return answer


async def add_claim(
    conn: asyncpg.Connection, request_id: UUID, key: CountKey, held: bool, answer: dict[str, Any]
) -> None:
    await conn.execute(
        """
        INSERT INTO quota_claims
            (request_id, organization_id, channel, scope, month, held, answer)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        request_id,
        *key.args(),
        held,
        answer,
    )


async def consume_claim(
    conn: asyncpg.Connection,
    incident_id: UUID,
    request_id: UUID | None,
    organization_id: UUID,
    channel: str,
) -> asyncpg.Record | None:
    """The held unit a registration takes over: its own claim by request id, or, for a
    registration that names none, the oldest held claim of its organization and
    channel. None when there is none (or the sweep released it)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        UPDATE quota_claims SET consumed_by = $1
        WHERE request_id = (
            SELECT request_id FROM quota_claims
            WHERE held AND consumed_by IS NULL AND released_at IS NULL
              AND (request_id = $2 OR ($2::uuid IS NULL
                   AND organization_id = $3 AND channel = $4))
            ORDER BY claimed_at LIMIT 1
            FOR UPDATE)
        RETURNING *
        """,
        incident_id,
        request_id,
        organization_id,
        channel,
    )
    return row


async def release_stale_claims(conn: asyncpg.Connection, hold_seconds: float) -> list[CountKey]:
    """Held claims no registration consumed within `hold_seconds`: released, and the
    counts they hold given back (one unit each)."""
    rows = await conn.fetch(
        """
        UPDATE quota_claims SET released_at = now()
        WHERE request_id IN (
            SELECT request_id FROM quota_claims
            WHERE held AND consumed_by IS NULL AND released_at IS NULL
              AND claimed_at < now() - make_interval(secs => $1)
            ORDER BY claimed_at LIMIT 500
            FOR UPDATE SKIP LOCKED)
        RETURNING organization_id, channel, scope, month
        """,
        hold_seconds,
    )
    keys = sorted(key_of(row) for row in rows)
    for key in keys:
        await lock_count(conn, key)
        await add(conn, key, -1)
    return keys
