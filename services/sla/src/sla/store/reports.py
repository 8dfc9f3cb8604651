"""The statistics over the incidents' clocks: one statement for the whole, one for the
groups, each aggregating counts, breaches, percentiles and client-caused delay."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from desk_contracts.messages import SlaReport

_GROUP_KEYS = {
    "none": "'all'",
    "organization": "organization_id::text",
    "category": "array_to_string(category_path, '/')",
    "agent": "coalesce(assignee_id::text, 'unassigned')",
    "priority": "priority",
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
    percentile_cont(0.5) WITHIN GROUP (ORDER BY target.resolution) AS resolution_target_median
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
                                OR c.resolution_breached_at IS NOT NULL) AS breached
        FROM incident_clocks c
        JOIN quota_uses u ON u.incident_id = c.incident_id
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
