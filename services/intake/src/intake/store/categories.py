"""SQL for the category tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts.messages import UpsertCategory

from . import Db


async def category(conn: Db, category_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM categories WHERE id = $1", category_id)


async def categories(conn: Db) -> list[asyncpg.Record]:
    rows: list[Any] = await conn.fetch("SELECT * FROM categories ORDER BY path")
    return rows


async def path_taken(conn: Db, path: Sequence[str]) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM categories WHERE path = $1", list(path)))


async def save(conn: asyncpg.Connection, command: UpsertCategory, path: Sequence[str]) -> None:
    """Inserts the node or changes its name, colour and escalation contact (never its
    place: the caller has checked that)."""
    await conn.execute(
        """
        INSERT INTO categories (id, parent_id, code, name, colour, escalation_contact_id, path)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (id) DO UPDATE SET
            name = EXCLUDED.name, colour = EXCLUDED.colour,
            escalation_contact_id = EXCLUDED.escalation_contact_id, updated_at = now()
        """,
        command.category_id,
        command.parent_id,
        command.code,
        command.name,
        command.colour,
        command.escalation_contact_id,
        list(path),
    )
