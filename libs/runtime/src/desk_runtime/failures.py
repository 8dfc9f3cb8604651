"""The last error a consumer hit for a message, kept in the consuming service's database.

A negative acknowledgement cannot add headers, so the broker's dead letter only says
*that* a message died (rejected, delivery limit, expired), never *why*. Each failed
delivery upserts one row here, outside the handler's rolled-back transaction; the
service serves them on its health port (/failures) and the gateway's dead-letter view
joins them by message id.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# Enough to recognise the cause, small enough that a huge repr cannot bloat the table.
MAX_ERROR_CHARS = 2000
# Rows older than this are pruned: a dead letter is looked at within days, not months.
KEEP_DAYS = 30


async def record_failure(
    pool: asyncpg.Pool, consumer: str, message_id: UUID, error: BaseException
) -> None:
    """Best effort: a database that is down must not hide the original failure."""
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    with contextlib.suppress(Exception):
        await pool.execute(
            """
            INSERT INTO message_failures (consumer, message_id, last_error)
            VALUES ($1, $2, $3)
            ON CONFLICT (consumer, message_id) DO UPDATE
            SET attempts = message_failures.attempts + 1, last_error = EXCLUDED.last_error,
                last_failed_at = now()
            """,
            consumer,
            message_id,
            text,
        )


async def recent_failures(
    pool: asyncpg.Pool, consumer: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT consumer, message_id, attempts, last_error, first_failed_at, last_failed_at "
        "FROM message_failures WHERE $1::text IS NULL OR consumer = $1 "
        "ORDER BY last_failed_at DESC LIMIT $2",
        consumer,
        limit,
    )
    return [
        {
            key: (str(value) if isinstance(value, UUID) else _iso(value))
            for key, value in dict(row).items()
        }
        for row in rows
    ]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def prune_failures(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "DELETE FROM message_failures WHERE last_failed_at < now() - make_interval(days => $1)",
        KEEP_DAYS,
    )
