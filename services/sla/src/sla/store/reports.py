"""The statistics over the incidents' clocks: one statement for the whole, one for the
groups, each aggregating counts, breaches, percentiles and client-caused delay."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from desk_contracts.messages import IncidentRated, SlaReport

_GROUP_KEYS = {
    "none": "'all'",
    "organization": "organization_id::text",
    "category": "array_to_string(category_path, '/')",
    "agent": "coalesce(assignee_id::text, 'unassigned')",
    "priority": "priority",
    "channel": "coalesce(channel_use.channel, 'unknown')",
    "package": "coalesce(package.name, contract_id::text)",
    "day": "to_char(date_trunc('day', registered_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', registered_at AT TIME ZONE 'UTC'), 'IYYY-\"W\"IW')",
    "month": "to_char(date_trunc('month', registered_at AT TIME ZONE 'UTC'), 'YYYY-MM')",
}

_AGGREGATES = """
    count(*) AS incidents,
    count(first_response_at) AS responded,
    count(resolved_at) AS resolved,
    count(response_breached_at) AS response_breaches,
    count(resolution_breached_at) AS resolution_breaches,
    count(*) FILTER (WHERE response_breached_at IS NOT NULL
                        OR resolution_breached_at IS NOT NULL) AS breached,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY response_business_seconds) AS response_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY response_business_seconds) AS response_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_business_seconds)
        AS resolution_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_business_seconds) AS resolution_p90,
    coalesce(sum(client_delay_seconds), 0) AS client_delay,
    coalesce(sum(reopen_count), 0) AS reopens,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY target.response) AS response_target_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY target.resolution) AS resolution_target_median,
    avg(rating.score)::float8 AS satisfaction_average,
    count(rating.score) AS satisfaction_count
"""

# The targets each incident is measured by, from the rule step of its protocol (ISO 8601
# durations, which PostgreSQL reads as intervals).
_TARGETS = """
    incident_clocks LEFT JOIN LATERAL (
        SELECT extract(epoch FROM (step->'params'->>'response')::interval)::float8 AS response,
               extract(epoch FROM (step->'params'->>'resolution')::interval)::float8
                   AS resolution
        FROM jsonb_array_elements(protocol) AS step
        WHERE step->>'code' = 'rule'
        LIMIT 1
    ) AS target ON true
    LEFT JOIN LATERAL (
        SELECT r.score FROM incident_ratings r WHERE r.incident_id = incident_clocks.incident_id
    ) AS rating ON true
    LEFT JOIN LATERAL (
        SELECT u.channel FROM quota_uses u WHERE u.incident_id = incident_clocks.incident_id
    ) AS channel_use ON true
    LEFT JOIN LATERAL (
        SELECT k.name FROM contracts k WHERE k.id = incident_clocks.contract_id
        ORDER BY k.version DESC LIMIT 1
    ) AS package ON true
"""


async def aggregate(
    pool: asyncpg.Pool, query: SlaReport
) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    """The aggregates of every incident the report selects, and of each group."""
    conditions = [
        "($1::timestamptz IS NULL OR registered_at >= $1)",
        "($2::timestamptz IS NULL OR registered_at < $2)",
        "($3::uuid IS NULL OR organization_id = $3)",
        "(category_path[1:cardinality($4::text[])] = $4::text[])",
        "($5::uuid IS NULL OR assignee_id = $5)",
        "($6::text IS NULL OR priority = $6)",
    ]
    where = " AND ".join(conditions)
    args = (
        query.since.astimezone(UTC) if query.since else None,
        query.until.astimezone(UTC) if query.until else None,
        query.organization_id,
        list(query.category_path),
        query.agent_id,
        query.priority.value if query.priority else None,
    )
    key = _GROUP_KEYS[query.group_by]
    total = await pool.fetchrow(f"SELECT {_AGGREGATES} FROM {_TARGETS} WHERE {where}", *args)
    groups = await pool.fetch(
        f"SELECT {key} AS key, {_AGGREGATES} FROM {_TARGETS} WHERE {where} GROUP BY 1 ORDER BY 1",
        *args,
    )
    return total, groups


_SEGMENTS = {
    "none": "'all'",
    "package": "coalesce(package.name, c.contract_id::text)",
    "organization": "c.organization_id::text",
}


async def by_channel(
    pool: asyncpg.Pool,
    since: datetime | None,
    until: datetime | None,
    segment_by: str,
) -> list[asyncpg.Record]:
    """Per channel (as each incident's quota count records it) and client segment:
    requests, those over quota, medians of the business times, and the breached."""
    segment = _SEGMENTS[segment_by]
    rows: list[asyncpg.Record] = await pool.fetch(
        f"""
        SELECT u.channel, {segment} AS segment,
            count(*) AS requests,
            count(*) FILTER (WHERE u.over_quota) AS over_quota,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY c.response_business_seconds)
                AS response_median,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY c.resolution_business_seconds)
                AS resolution_median,
            count(*) FILTER (WHERE c.response_breached_at IS NOT NULL
                                OR c.resolution_breached_at IS NOT NULL) AS breached,
            count(*) FILTER (WHERE c.category_path[1] = 'complaint') AS complaints,
            avg(r.score)::float8 AS satisfaction_average,
            count(r.score) AS satisfaction_count
        FROM incident_clocks c
        JOIN quota_uses u ON u.incident_id = c.incident_id
        LEFT JOIN incident_ratings r ON r.incident_id = c.incident_id
        LEFT JOIN LATERAL (
            SELECT k.name FROM contracts k WHERE k.id = c.contract_id
            ORDER BY k.version DESC LIMIT 1
        ) AS package ON true
        WHERE ($1::timestamptz IS NULL OR c.registered_at >= $1)
          AND ($2::timestamptz IS NULL OR c.registered_at < $2)
        GROUP BY 1, 2 ORDER BY 2, 1
        """,
        since.astimezone(UTC) if since else None,
        until.astimezone(UTC) if until else None,
    )
    return rows


async def save_rating(conn: asyncpg.Connection, event: IncidentRated) -> None:
    """The incident's rating; a later one replaces it, an earlier one arriving late
    does not."""
    await conn.execute(
        """
        INSERT INTO incident_ratings (incident_id, score, rated_at, number, organization_id,
            assignee_id)
        VALUES ($1, $2, $3, $4, $5,
            coalesce($6, (SELECT assignee_id FROM incident_clocks WHERE incident_id = $1)))
        ON CONFLICT (incident_id) DO UPDATE SET score = EXCLUDED.score,
            rated_at = EXCLUDED.rated_at, assignee_id = EXCLUDED.assignee_id
        WHERE incident_ratings.rated_at <= EXCLUDED.rated_at
        """,
        event.incident_id,
        event.score,
        event.rated_at,
        event.number,
        event.organization_id,
        event.assignee_id,
    )


async def low_ratings(pool: asyncpg.Pool, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM incident_ratings WHERE score <= 2 ORDER BY rated_at DESC LIMIT $1",
        limit,
    )
    return rows


async def drop_rating(conn: asyncpg.Connection, incident_id: UUID, before: datetime) -> None:
    """A reopen at `before` takes away the rating given before it."""
    await conn.execute(
        "DELETE FROM incident_ratings WHERE incident_id = $1 AND rated_at <= $2",
        incident_id,
        before,
    )
