"""The inbox: a consumer handles each message id once, whatever the broker redelivers."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
    """Records `message_ids` as handled by `consumer` in the caller's transaction and
    returns those seen for the first time (the rest are duplicates, to be skipped)."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, message_id) "
        "SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING message_id",
        consumer,
        list(message_ids),
    )
    return {row["message_id"] for row in rows}
