"""SQL for incidents, entries and categories; no business rules here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import EntryKind, Visibility


async def insert_entry(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    kind: EntryKind,
    visibility: Visibility,
    text: str,
    at: datetime,
    author_id: UUID | None = None,
) -> UUID:
    entry_id = uuid4()
    await conn.execute(
        "INSERT INTO entries (id, incident_id, kind, visibility, author_id, text, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        entry_id,
        incident_id,
        kind.value,
        visibility.value,
        author_id,
        text,
        at,
    )
    return entry_id


async def category(conn: asyncpg.Connection, category_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM categories WHERE id = $1", category_id)


async def incident_for_update(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM incidents WHERE id = $1 FOR UPDATE", incident_id)


async def incident(
    conn: asyncpg.Connection | asyncpg.Pool, incident_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM incidents WHERE id = $1", incident_id)


async def entries(
    conn: asyncpg.Connection | asyncpg.Pool, incident_id: UUID, visibilities: tuple[Visibility, ...]
) -> list[asyncpg.Record]:
    rows: list[Any] = await conn.fetch(
        "SELECT * FROM entries WHERE incident_id = $1 AND visibility = ANY($2::text[]) "
        "ORDER BY seq",
        incident_id,
        [v.value for v in visibilities],
    )
    return rows
