"""Articles: the current state, one row per language, the category bindings, every
version as written, and the counters the ranking reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts.enums import Locale, Visibility
from desk_contracts.messages import ArticleText

from ..domain import markdown
from ..domain.articles import ArticleState
from . import Db


@dataclass(frozen=True)
class StoredArticle:
    article_id: UUID
    version: int
    state: ArticleState
    author_id: UUID | None
    created_at: datetime
    updated_at: datetime
    # Per language: the rendered body.
    html: dict[Locale, str]


def snapshot(state: ArticleState) -> dict[str, Any]:
    return {
        "texts": [text.model_dump(mode="json") for text in state.texts],
        "visibility": state.visibility.value,
        "status": state.status,
        "category_ids": [str(c) for c in state.category_ids],
        "keywords": list(state.keywords),
    }


def state_of(data: dict[str, Any]) -> ArticleState:
    return ArticleState(
        texts=tuple(ArticleText.model_validate(text) for text in data["texts"]),
        visibility=Visibility(data["visibility"]),
        status=data["status"],
        category_ids=tuple(UUID(c) for c in data["category_ids"]),
        keywords=tuple(data["keywords"]),
    )


def locales_of(state: ArticleState) -> list[str]:
    return [text.locale.value for text in state.texts]


async def known_categories(db: Db, ids: tuple[UUID, ...]) -> set[UUID]:
    rows = await db.fetch(
        "SELECT category_id FROM categories WHERE category_id = ANY($1::uuid[])", list(ids)
    )
    return {row["category_id"] for row in rows}


async def _write_current(conn: asyncpg.Connection, article_id: UUID, state: ArticleState) -> None:
    await conn.execute("DELETE FROM article_texts WHERE article_id = $1", article_id)
    keywords = " ".join(state.keywords)
    rendered = [markdown.render(text.body) for text in state.texts]
    await conn.executemany(
        """
        INSERT INTO article_texts (article_id, locale, title, body, body_html, excerpt, keywords)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        [
            (
                article_id,
                text.locale.value,
                text.title,
                text.body,
                html,
                markdown.excerpt(html),
                keywords,
            )
            for text, html in zip(state.texts, rendered, strict=True)
        ],
    )
    await conn.execute("DELETE FROM article_categories WHERE article_id = $1", article_id)
    await conn.execute(
        """
        INSERT INTO article_categories (article_id, category_id)
        SELECT $1, unnest($2::uuid[])
        """,
        article_id,
        list(state.category_ids),
    )


async def insert(
    conn: asyncpg.Connection, article_id: UUID, state: ArticleState, author_id: UUID | None
) -> bool:
    """Version 1 of a new article; false (nothing written) when the id exists."""
    created = await conn.fetchval(
        """
        INSERT INTO articles (article_id, version, visibility, status, keywords, locales,
            author_id)
        VALUES ($1, 1, $2, $3, $4, $5, $6)
        ON CONFLICT (article_id) DO NOTHING RETURNING true
        """,
        article_id,
        state.visibility.value,
        state.status,
        list(state.keywords),
        locales_of(state),
        author_id,
    )
    if not created:
        return False
    await _write_current(conn, article_id, state)
    await _write_version(conn, article_id, 1, state, author_id)
    return True


async def _write_version(
    conn: asyncpg.Connection,
    article_id: UUID,
    version: int,
    state: ArticleState,
    author_id: UUID | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO article_versions (article_id, version, author_id, snapshot)
        VALUES ($1, $2, $3, $4)
        """,
        article_id,
        version,
        author_id,
        snapshot(state),
    )


async def update(
    conn: asyncpg.Connection,
    article_id: UUID,
    version: int,
    state: ArticleState,
    author_id: UUID | None,
) -> None:
    """Make `state` the article's `version` (the caller holds the row lock)."""
    await conn.execute(
        """
        UPDATE articles SET version = $2, visibility = $3, status = $4, keywords = $5,
            locales = $6, author_id = $7, updated_at = now()
        WHERE article_id = $1
        """,
        article_id,
        version,
        state.visibility.value,
        state.status,
        list(state.keywords),
        locales_of(state),
        author_id,
    )
    await _write_current(conn, article_id, state)
    await _write_version(conn, article_id, version, state, author_id)


async def get(db: Db, article_id: UUID, *, lock: bool = False) -> StoredArticle | None:
    row = await db.fetchrow(
        "SELECT a.*, v.snapshot FROM articles a JOIN article_versions v "
        "ON v.article_id = a.article_id AND v.version = a.version WHERE a.article_id = $1"
        + (" FOR UPDATE OF a" if lock else ""),
        article_id,
    )
    if row is None:
        return None
    html = {
        Locale(r["locale"]): r["body_html"]
        for r in await db.fetch(
            "SELECT locale, body_html FROM article_texts WHERE article_id = $1", article_id
        )
    }
    return StoredArticle(
        article_id=row["article_id"],
        version=row["version"],
        state=state_of(row["snapshot"]),
        author_id=row["author_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        html=html,
    )


async def versions(db: Db, article_id: UUID) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT version, author_id, created_at, snapshot FROM article_versions "
            "WHERE article_id = $1 ORDER BY version DESC",
            article_id,
        )
    )


@dataclass(frozen=True)
class Listing:
    total: int
    rows: list[asyncpg.Record]


async def listing(
    db: Db,
    *,
    locale: Locale,
    statuses: tuple[str, ...],
    visibilities: tuple[str, ...],
    category_ids: list[UUID] | None,
    q: str | None,
    limit: int,
    offset: int,
) -> Listing:
    """Articles with the given statuses and visibilities (bound to one of
    `category_ids` when given, matching `q` when given), each with its title in
    `locale` or else the other language; newest change first, or most relevant."""
    rows = await db.fetch(
        """
        WITH asked AS (
            SELECT CASE WHEN $5::text IS NULL THEN NULL
                        ELSE NULLIF(replace(plainto_tsquery('russian', $5)::text, ' & ', ' | '),
                                    '')::tsquery END AS ru,
                   CASE WHEN $5::text IS NULL THEN NULL
                        ELSE NULLIF(replace(plainto_tsquery('english', $5)::text, ' & ', ' | '),
                                    '')::tsquery END AS en
        ),
        matched AS (
            SELECT DISTINCT ON (a.article_id)
                a.article_id, a.version, a.visibility, a.status, a.updated_at,
                t.locale, t.title,
                CASE WHEN $5::text IS NULL THEN 0
                     ELSE ts_rank(t.search, CASE t.locale WHEN 'ru' THEN asked.ru
                                                          ELSE asked.en END, 32) END
                    AS relevance
            FROM articles a
            JOIN article_texts t ON t.article_id = a.article_id
            CROSS JOIN asked
            WHERE a.status = ANY($2::text[]) AND a.visibility = ANY($3::text[])
              AND ($4::uuid[] IS NULL OR EXISTS (
                    SELECT 1 FROM article_categories c
                    WHERE c.article_id = a.article_id AND c.category_id = ANY($4::uuid[])))
              AND ($5::text IS NULL OR t.search @@ CASE t.locale WHEN 'ru' THEN asked.ru
                                                                 ELSE asked.en END)
            ORDER BY a.article_id, (t.locale = $1) DESC, relevance DESC
        )
        SELECT m.*, count(*) OVER () AS total,
            (SELECT array_agg(locale ORDER BY locale DESC) FROM article_texts x
              WHERE x.article_id = m.article_id) AS locales,
            (SELECT coalesce(array_agg(category_id), '{}') FROM article_categories c
              WHERE c.article_id = m.article_id) AS category_ids
        FROM matched m
        ORDER BY m.relevance DESC, m.updated_at DESC, m.article_id
        LIMIT $6 OFFSET $7
        """,
        locale.value,
        list(statuses),
        list(visibilities),
        category_ids,
        q,
        limit,
        offset,
    )
    # A page past the end has no row to carry the count: it says 0.
    total = rows[0]["total"] if rows else 0
    return Listing(total=total, rows=list(rows))


async def subtree(db: Db, category_id: UUID) -> list[UUID]:
    """The category and every category below it."""
    rows = await db.fetch(
        """
        WITH RECURSIVE down(category_id, depth) AS (
            SELECT $1::uuid, 0
            UNION ALL
            SELECT c.category_id, down.depth + 1
            FROM categories c JOIN down ON c.parent_id = down.category_id
            WHERE down.depth < 32
        )
        SELECT DISTINCT category_id FROM down
        """,
        category_id,
    )
    return [row["category_id"] for row in rows]
