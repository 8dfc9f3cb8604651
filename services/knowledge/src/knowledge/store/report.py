"""The report's reads: suggestions shown, opened and answered in a period, the recorded
deflections, the incidents filed and their FCR timeline, and which
categories have an article that helped."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.enums import Locale

from . import Db


async def article_counts(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            """
            SELECT article_id, count(*) AS shown, count(opened_at) AS opened,
                count(helped) AS rated, count(*) FILTER (WHERE helped) AS helped
            FROM suggestions WHERE shown_at >= $1 AND shown_at < $2
            GROUP BY article_id
            """,
            since,
            until,
        )
    )


async def titles(db: Db, article_ids: list[UUID], locale: Locale) -> dict[UUID, str]:
    rows = await db.fetch(
        """
        SELECT DISTINCT ON (article_id) article_id, title FROM article_texts
        WHERE article_id = ANY($1::uuid[]) ORDER BY article_id, (locale = $2) DESC
        """,
        article_ids,
        locale.value,
    )
    return {row["article_id"]: row["title"] for row in rows}


async def solved_on_drafts(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    """Clients' *solved* answers (recorded deflections) to suggestions shown before any
    incident."""
    return list(
        await db.fetch(
            """
            SELECT article_id, user_id, role, incident_id, category_id, shown_at,
                deflected_at AS answered_at
            FROM suggestions
            WHERE deflected_at IS NOT NULL AND role = 'client' AND incident_id IS NULL
              AND shown_at >= $1 AND shown_at < $2
            """,
            since,
            until,
        )
    )


async def filed_by(db: Db, users: list[UUID], since: datetime) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT requester_id, category_id, registered_at FROM incidents "
            "WHERE requester_id = ANY($1::uuid[]) AND registered_at >= $2",
            users,
            since,
        )
    )


async def incidents_in(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT incident_id, category_id FROM incidents "
            "WHERE registered_at >= $1 AND registered_at < $2",
            since,
            until,
        )
    )


async def activity_of(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            """
            SELECT a.incident_id, a.at, a.kind, a.article_id FROM incident_activity a
            JOIN incidents i ON i.incident_id = a.incident_id
            WHERE i.registered_at >= $1 AND i.registered_at < $2
            """,
            since,
            until,
        )
    )


async def categories(db: Db) -> list[asyncpg.Record]:
    return list(await db.fetch("SELECT category_id, parent_id, path, name FROM categories"))


async def helpful_bindings(db: Db) -> list[asyncpg.Record]:
    """(category, article) of every published article that has helped someone."""
    return list(
        await db.fetch(
            """
            SELECT c.category_id, c.article_id FROM article_categories c
            JOIN articles a ON a.article_id = c.article_id
            WHERE a.helped > 0 AND a.status = 'published'
            """
        )
    )
