"""Every statement of the e-mail channel: the stored mail and its outcome, the claims of
its processing, the quarantine, the senders and the organization's mail defaults."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

# A mail being processed is the processor's for this long; a crashed one's mail is
# taken again after it.
LEASE = timedelta(seconds=60)


async def store_mail(
    pool: asyncpg.Pool,
    *,
    mail_id: UUID,
    key: str,
    envelope_from: str,
    sender: str | None,
    recipients: list[str],
    raw: bytes,
) -> tuple[asyncpg.Record, bool]:
    """The mail's row, written before the sender hears 250; (the row stored before,
    False) when the same mail came already."""
    row = await pool.fetchrow(
        """
        INSERT INTO inbound_mail (id, mail_key, envelope_from, sender, recipients, raw, size)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (mail_key) DO NOTHING
        RETURNING *
        """,
        mail_id,
        key,
        envelope_from,
        sender,
        recipients,
        raw,
        len(raw),
    )
    if row is not None:
        return row, True
    before = await pool.fetchrow("SELECT * FROM inbound_mail WHERE mail_key = $1", key)
    assert before is not None
    return before, False


async def known(pool: asyncpg.Pool, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM inbound_mail WHERE mail_key = $1", key
    )
    return row


async def recent_from(pool: asyncpg.Pool, sender: str, within: timedelta) -> int:
    """How many mails this address sent within the last `within`."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM inbound_mail "
        "WHERE sender = $1 AND received_at > now() - $2::interval",
        sender,
        within,
    )
    return count


async def claim(pool: asyncpg.Pool, mail_id: UUID) -> asyncpg.Record | None:
    """The mail, claimed for processing, unless it was processed or is claimed."""
    row: asyncpg.Record | None = await pool.fetchrow(
        """
        UPDATE inbound_mail SET lease_until = now() + $2::interval, attempts = attempts + 1
        WHERE id = $1 AND status = 'received' AND coalesce(lease_until < now(), true)
        RETURNING *
        """,
        mail_id,
        LEASE,
    )
    return row


async def claim_due(pool: asyncpg.Pool, limit: int) -> list[asyncpg.Record]:
    """Mail left to process: a crash, or a peer away when it came."""
    rows: list[asyncpg.Record] = await pool.fetch(
        """
        UPDATE inbound_mail SET lease_until = now() + $2::interval, attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM inbound_mail
            WHERE status = 'received' AND coalesce(lease_until < now(), true)
            ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        limit,
        LEASE,
    )
    return rows


async def record(
    pool: asyncpg.Pool,
    mail_id: UUID,
    status: str,
    reason: str,
    *,
    sender_id: UUID | None = None,
    incident_id: UUID | None = None,
) -> None:
    await pool.execute(
        """
        UPDATE inbound_mail SET status = $2, reason = $3, sender_id = $4, incident_id = $5,
            lease_until = NULL, processed_at = now()
        WHERE id = $1
        """,
        mail_id,
        status,
        reason[:2000],
        sender_id,
        incident_id,
    )


async def postpone(pool: asyncpg.Pool, mail_id: UUID, reason: str, delay: timedelta) -> None:
    """Not processed now (a peer away): taken again after `delay`."""
    await pool.execute(
        "UPDATE inbound_mail SET reason = $2, lease_until = now() + $3::interval WHERE id = $1",
        mail_id,
        reason[:2000],
        delay,
    )


async def quarantine(pool: asyncpg.Pool, mail_id: UUID, error: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE inbound_mail SET status = 'quarantined', reason = $2, lease_until = NULL, "
            "processed_at = now() WHERE id = $1",
            mail_id,
            error[:2000],
        )
        await conn.execute(
            """
            INSERT INTO mail_quarantine (mail_id, error) VALUES ($1, $2)
            ON CONFLICT (mail_id) DO UPDATE
                SET error = EXCLUDED.error, quarantined_at = now(), released_at = NULL
            """,
            mail_id,
            error[:2000],
        )


async def quarantined(
    pool: asyncpg.Pool, *, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """Mail in quarantine, newest first."""
    where = "q.released_at IS NULL"
    total = await pool.fetchval(f"SELECT count(*) FROM mail_quarantine q WHERE {where}")
    rows = await pool.fetch(
        f"""
        SELECT q.mail_id, q.error, q.quarantined_at, m.mail_key, m.envelope_from,
            m.recipients, m.size, m.received_at, m.attempts
        FROM mail_quarantine q JOIN inbound_mail m ON m.id = q.mail_id
        WHERE {where}
        ORDER BY q.quarantined_at DESC, q.mail_id LIMIT $1 OFFSET $2
        """,
        limit,
        offset,
    )
    return rows, total


async def release(pool: asyncpg.Pool, mail_id: UUID) -> bool:
    """A quarantined mail handed back to processing; False when none is quarantined."""
    async with pool.acquire() as conn, conn.transaction():
        released = await conn.fetchval(
            "UPDATE mail_quarantine SET released_at = now() "
            "WHERE mail_id = $1 AND released_at IS NULL RETURNING true",
            mail_id,
        )
        if not released:
            return False
        await conn.execute(
            "UPDATE inbound_mail SET status = 'received', lease_until = NULL WHERE id = $1",
            mail_id,
        )
    return True


async def mail(pool: asyncpg.Pool, mail_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM inbound_mail WHERE id = $1", mail_id
    )
    return row


async def users_by_email(pool: asyncpg.Pool, address: str) -> list[asyncpg.Record]:
    """The active users with this address (case-insensitive)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM users WHERE lower(email) = lower($1) AND active ORDER BY created_at, id",
        address,
    )
    return rows


async def mail_defaults(pool: asyncpg.Pool, organization_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT mail_category_id, mail_priority FROM organizations WHERE id = $1",
        organization_id,
    )
    return row
