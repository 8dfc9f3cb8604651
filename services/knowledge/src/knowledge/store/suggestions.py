"""Suggestions: the candidates for a request being filed, each suggestion shown (with
the article's counter), and the feedback on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.enums import Locale, Visibility
from desk_contracts.messages import SeededShowing

from ..domain.ranking import HELPFULNESS_WEIGHT, Candidate
from . import Db

# How many articles of each group (bound, found by the text alone) the database offers
# the ranking at most: the best of each by the ranking's own score.
CANDIDATE_POOL = 50


@dataclass(frozen=True)
class Found:
    candidate: Candidate
    version: int
    visibility: Visibility


@dataclass(frozen=True)
class Text:
    locale: Locale
    title: str
    excerpt: str
    body_html: str


async def ancestry(db: Db, category_id: UUID) -> list[UUID]:
    """The node and its ancestors, the node first (empty when the node is unknown)."""
    rows = await db.fetch(
        """
        WITH RECURSIVE up(category_id, parent_id, depth) AS (
            SELECT category_id, parent_id, 0 FROM categories WHERE category_id = $1
            UNION ALL
            SELECT c.category_id, c.parent_id, up.depth + 1
            FROM categories c JOIN up ON c.category_id = up.parent_id
            WHERE up.depth < 32
        )
        SELECT category_id FROM up ORDER BY depth
        """,
        category_id,
    )
    return [row["category_id"] for row in rows]


async def candidates(
    db: Db,
    *,
    locales: list[Locale],
    visibilities: tuple[str, ...],
    nodes: list[UUID],
    q: str | None,
    any_word: bool = False,
) -> list[Found]:
    """Published articles with a text in one of `locales` that are bound to one of
    `nodes` (the asked category and its ancestors, nearest first) or whose text matches
    `q` (every word, or with `any_word` any of them, stemmed in the text's language):
    the best `CANDIDATE_POOL`
    of each group by the ranking's score (`ranking.score`, its weight passed in), which
    then orders them."""
    rows = await db.fetch(
        """
        WITH asked AS (
            SELECT CASE WHEN $7 THEN NULLIF(replace(plainto_tsquery('russian', $4)::text,
                                                    ' & ', ' | '), '')::tsquery
                        ELSE plainto_tsquery('russian', $4) END AS ru,
                   CASE WHEN $7 THEN NULLIF(replace(plainto_tsquery('english', $4)::text,
                                                    ' & ', ' | '), '')::tsquery
                        ELSE plainto_tsquery('english', $4) END AS en
        ),
        -- One index scan per language, each with its own stemming.
        matched AS (
            SELECT article_id, max(relevance) AS relevance
            FROM (
                SELECT t.article_id, ts_rank(t.search, asked.ru, 32) AS relevance
                FROM asked, article_texts t
                WHERE 'ru' = ANY($1::text[]) AND t.locale = 'ru' AND t.search @@ asked.ru
                UNION ALL
                SELECT t.article_id, ts_rank(t.search, asked.en, 32)
                FROM asked, article_texts t
                WHERE 'en' = ANY($1::text[]) AND t.locale = 'en' AND t.search @@ asked.en
            ) AS texts
            GROUP BY article_id
        ),
        bound AS (
            SELECT c.article_id, min(array_position($3::uuid[], c.category_id)) - 1 AS distance
            FROM article_categories c
            WHERE c.category_id = ANY($3::uuid[])
            GROUP BY c.article_id
        ),
        pool AS (
            SELECT article_id, min(distance) AS distance, max(relevance) AS relevance
            FROM (
                SELECT article_id, distance, 0::real AS relevance FROM bound
                UNION ALL
                SELECT article_id, NULL, relevance FROM matched
            ) AS found
            GROUP BY article_id
        ),
        scored AS (
            SELECT a.article_id, p.distance, p.relevance, a.rated, a.helped, a.version,
                a.visibility,
                p.relevance + $6::float8 * (least(a.helped, a.rated) + 1) / (a.rated + 2)
                    AS score
            FROM pool p
            JOIN articles a ON a.article_id = p.article_id
            WHERE a.status = 'published' AND a.visibility = ANY($2::text[])
              AND a.locales && $1::text[]
        )
        (SELECT * FROM scored WHERE distance IS NOT NULL
         ORDER BY score DESC, distance, article_id LIMIT $5)
        UNION ALL
        (SELECT * FROM scored WHERE distance IS NULL ORDER BY score DESC, article_id LIMIT $5)
        """,
        [locale.value for locale in locales],
        list(visibilities),
        nodes,
        q,
        CANDIDATE_POOL,
        HELPFULNESS_WEIGHT,
        any_word,
    )
    return [
        Found(
            candidate=Candidate(
                article_id=row["article_id"],
                distance=row["distance"],
                relevance=float(row["relevance"]),
                rated=row["rated"],
                helped=row["helped"],
            ),
            version=row["version"],
            visibility=Visibility(row["visibility"]),
        )
        for row in rows
    ]


async def texts(
    db: Db, article_ids: list[UUID], locales: list[Locale], preferred: Locale
) -> dict[UUID, Text]:
    """Each article's text in one of `locales`, the `preferred` one where it has it."""
    rows = await db.fetch(
        """
        SELECT DISTINCT ON (article_id) article_id, locale, title, excerpt, body_html
        FROM article_texts
        WHERE article_id = ANY($1::uuid[]) AND locale = ANY($2::text[])
        ORDER BY article_id, (locale = $3) DESC
        """,
        article_ids,
        [locale.value for locale in locales],
        preferred.value,
    )
    return {
        row["article_id"]: Text(
            locale=Locale(row["locale"]),
            title=row["title"],
            excerpt=row["excerpt"],
            body_html=row["body_html"],
        )
        for row in rows
    }


@dataclass(frozen=True)
class Shown:
    suggestion_id: UUID
    article_id: UUID
    version: int
    rank: int
    locale: Locale


async def record_shown(
    conn: asyncpg.Connection,
    shown: list[Shown],
    *,
    user_id: UUID,
    role: str,
    organization_id: UUID | None,
    incident_id: UUID | None,
    category_id: UUID | None,
    query: str | None,
) -> None:
    if not shown:
        return
    await conn.execute(
        """
        INSERT INTO suggestions (suggestion_id, article_id, version, rank, locale, user_id,
            role, organization_id, incident_id, category_id, query)
        SELECT s.id, s.article_id, s.version, s.rank, s.locale, $6::uuid, $7::text,
            $8::uuid, $9::uuid, $10::uuid, $11::text
        FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::text[])
            AS s(id, article_id, version, rank, locale)
        """,
        [s.suggestion_id for s in shown],
        [s.article_id for s in shown],
        [s.version for s in shown],
        [s.rank for s in shown],
        [s.locale.value for s in shown],
        user_id,
        role,
        organization_id,
        incident_id,
        category_id,
        query,
    )
    # Locked in article id order: two suggestions at once never wait on each other in a
    # cycle.
    await conn.execute(
        """
        WITH locked AS (
            SELECT article_id FROM articles WHERE article_id = ANY($1::uuid[])
            ORDER BY article_id FOR NO KEY UPDATE
        )
        UPDATE articles s SET shown = s.shown + 1
        FROM locked WHERE s.article_id = locked.article_id
        """,
        sorted({s.article_id for s in shown}),
    )


@dataclass(frozen=True)
class StoredSuggestion:
    suggestion_id: UUID
    article_id: UUID
    version: int
    rank: int
    locale: Locale
    user_id: UUID
    role: str
    incident_id: UUID | None
    helped: bool | None
    shown_at: datetime


async def get_for_update(conn: asyncpg.Connection, suggestion_id: UUID) -> StoredSuggestion | None:
    row = await conn.fetchrow(
        "SELECT suggestion_id, article_id, version, rank, locale, user_id, role, incident_id, "
        "helped, shown_at FROM suggestions WHERE suggestion_id = $1 FOR UPDATE",
        suggestion_id,
    )
    if row is None:
        return None
    return StoredSuggestion(**{**dict(row), "locale": Locale(row["locale"])})


async def answer(
    conn: asyncpg.Connection,
    suggestion: StoredSuggestion,
    helped: bool,
    rated_delta: int,
    helped_delta: int,
    *,
    solved: bool = False,
) -> None:
    await conn.execute(
        "UPDATE suggestions SET helped = $2, answered_at = now(), "
        "deflected_at = CASE WHEN $3 THEN now() END WHERE suggestion_id = $1",
        suggestion.suggestion_id,
        helped,
        solved,
    )
    if rated_delta or helped_delta:
        await conn.execute(
            "UPDATE articles SET rated = rated + $2, helped = helped + $3 WHERE article_id = $1",
            suggestion.article_id,
            rated_delta,
            helped_delta,
        )


async def opened(
    conn: asyncpg.Connection, suggestion_id: UUID, user_id: UUID, article_id: UUID
) -> bool:
    """Records that the reader opened the article of a suggestion shown to them (the
    first opening only); False when no such suggestion was shown to them."""
    row = await conn.fetchrow(
        "UPDATE suggestions SET opened_at = coalesce(opened_at, now()) "
        "WHERE suggestion_id = $1 AND user_id = $2 AND article_id = $3 RETURNING 1",
        suggestion_id,
        user_id,
        article_id,
    )
    return row is not None


async def article_text(db: Db, article_id: UUID, locale: Locale) -> asyncpg.Record | None:
    """The article's text in `locale`, else its other one."""
    return await db.fetchrow(
        "SELECT t.locale, t.title, t.excerpt, t.body_html, a.visibility FROM article_texts t "
        "JOIN articles a ON a.article_id = t.article_id WHERE t.article_id = $1 "
        "ORDER BY (t.locale = $2) DESC LIMIT 1",
        article_id,
        locale.value,
    )


async def record_history(
    conn: asyncpg.Connection, article_id: UUID, history: list[SeededShowing]
) -> None:
    """The demo's past suggestions of a new article, and its counters to match."""
    if not history:
        return
    await conn.execute(
        """
        INSERT INTO suggestions (suggestion_id, article_id, version, rank, locale, user_id,
            role, category_id, shown_at, helped, answered_at, opened_at, deflected_at)
        SELECT gen_random_uuid(), $1, 1, 1, h.locale, h.user_id, h.role, h.category_id,
            at.shown_at, h.helped,
            CASE WHEN h.helped IS NOT NULL THEN at.shown_at + interval '1 minute' END,
            CASE WHEN h.opened THEN at.shown_at + interval '30 seconds' END,
            CASE WHEN h.solved THEN at.shown_at + interval '1 minute' END
        FROM unnest($2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::int[], $7::bool[],
                $8::bool[], $9::bool[])
            WITH ORDINALITY AS h(locale, user_id, role, category_id, days_ago, helped, opened,
                solved, n)
        CROSS JOIN LATERAL (
            SELECT now() - make_interval(days => h.days_ago, mins => h.n::int) AS shown_at
        ) AS at
        """,
        article_id,
        [h.locale.value for h in history],
        [h.user_id for h in history],
        [h.role.value for h in history],
        [h.category_id for h in history],
        [h.days_ago for h in history],
        [h.helped for h in history],
        [h.opened for h in history],
        [h.solved and bool(h.helped) for h in history],
    )
    await conn.execute(
        "UPDATE articles SET shown = shown + $2, rated = rated + $3, helped = helped + $4 "
        "WHERE article_id = $1",
        article_id,
        len(history),
        sum(1 for h in history if h.helped is not None),
        sum(1 for h in history if h.helped),
    )
