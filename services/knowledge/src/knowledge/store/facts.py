"""What knowledge keeps of other services' events: the category tree and incidents
with their public replies, resolutions and reopens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.messages import CategoryUpserted, IncidentRegistered

from . import Db


async def save_category(conn: asyncpg.Connection, category: CategoryUpserted) -> None:
    await conn.execute(
        """
        INSERT INTO categories (category_id, parent_id, path, name)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (category_id) DO UPDATE SET parent_id = EXCLUDED.parent_id,
            path = EXCLUDED.path, name = EXCLUDED.name, updated_at = now()
        """,
        category.category_id,
        category.parent_id,
        list(category.path),
        category.name,
    )


async def save_incident(conn: asyncpg.Connection, incident: IncidentRegistered) -> None:
    await conn.execute(
        """
        INSERT INTO incidents (incident_id, category_id, requester_id, organization_id,
            title, channel, registered_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (incident_id) DO NOTHING
        """,
        incident.incident_id,
        incident.category_id,
        incident.requester_id,
        incident.organization_id,
        incident.title,
        incident.channel.value,
        incident.registered_at,
    )


async def reclassify(conn: asyncpg.Connection, incident_id: UUID, category_id: UUID) -> None:
    await conn.execute(
        "UPDATE incidents SET category_id = $2 WHERE incident_id = $1", incident_id, category_id
    )


async def add_activity(
    conn: asyncpg.Connection,
    incident_id: UUID,
    at: datetime,
    kind: str,
    actor_id: UUID | None,
    *,
    article_id: UUID | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO incident_activity (incident_id, at, kind, actor_id, article_id) "
        "VALUES ($1, $2, $3, $4, $5)",
        incident_id,
        at,
        kind,
        actor_id,
        article_id,
    )


async def incident(db: Db, incident_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT incident_id, category_id, requester_id, organization_id, title "
        "FROM incidents WHERE incident_id = $1",
        incident_id,
    )
