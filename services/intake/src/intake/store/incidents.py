"""SQL for incidents: the row, its changes, lists and counts, and its rating."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts.enums import Status
from desk_contracts.messages import CreateIncident, ListIncidents, SeededIncident

from .. import listing
from ..domain import visibility
from . import Db

LIST_COLUMNS = (
    "id, number, title, category_id, category_path, priority, channel, status, requester_id, "
    "organization_id, assignee_id, response_due, resolution_due, created_at, updated_at, "
    "public_updated_at"
)
STATE_COLUMNS = "id, status, assignee_id, assigned_at, category_path, priority, created_at"


async def incident(conn: Db, incident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM incidents WHERE id = $1", incident_id)


async def incident_for_update(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM incidents WHERE id = $1 FOR UPDATE", incident_id)


async def insert(
    conn: asyncpg.Connection,
    incident_id: UUID,
    query: CreateIncident,
    *,
    category_path: tuple[str, ...],
    at: datetime,
    digest: str,
) -> asyncpg.Record | None:
    """The new row with its drawn number, or None if the request id made one already.

    A repeated request draws no number: the row is only produced (and the sequence only
    advanced) when no incident has the request id. Two deliveries of one request racing
    here: the loser waits for the winner's commit and gets None; only then does the
    number it drew stay unused."""
    return await conn.fetchrow(
        """
        INSERT INTO incidents (id, number, request_id, title, description, category_id,
            category_path, priority, channel, status, requester_id, organization_id,
            created_at, updated_at, public_updated_at, request_digest, equipment)
        SELECT $1, 'INC-' || lpad(nextval('incident_number_seq')::text, 6, '0'),
            $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12, $13, $14::jsonb
        WHERE NOT EXISTS (SELECT 1 FROM incidents WHERE request_id = $2)
        ON CONFLICT (request_id) DO NOTHING RETURNING *
        """,
        incident_id,
        query.request_id,
        query.title,
        query.description,
        query.category_id,
        list(category_path),
        query.priority.value,
        query.channel.value,
        Status.NEW.value,
        query.requester_id,
        query.organization_id,
        at,
        digest,
        query.equipment.model_dump(mode="json") if query.equipment else None,
    )


async def insert_seeded(
    conn: asyncpg.Connection, seeded: SeededIncident, category_path: tuple[str, ...]
) -> asyncpg.Record | None:
    """A past incident of the demo month with its drawn number, as registered (its
    history then moves it on); None if it exists."""
    return await conn.fetchrow(
        """
        INSERT INTO incidents (id, number, request_id, title, description, category_id,
            category_path, priority, channel, status, requester_id, organization_id,
            created_at, updated_at, public_updated_at)
        SELECT $1, 'INC-' || lpad(nextval('incident_number_seq')::text, 6, '0'),
            $1, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $10, $10, $10
        WHERE NOT EXISTS (SELECT 1 FROM incidents WHERE id = $1)
        ON CONFLICT DO NOTHING RETURNING *
        """,
        seeded.incident_id,
        seeded.title,
        seeded.description,
        seeded.category_id,
        list(category_path),
        seeded.priority.value,
        seeded.channel.value,
        seeded.requester_id,
        seeded.organization_id,
        seeded.registered_at,
    )


async def by_request(conn: Db, request_id: UUID) -> asyncpg.Record | None:
    """The incident a request id registered (its id, number and what the request asked)."""
    return await conn.fetchrow(
        "SELECT id, number, request_digest FROM incidents WHERE request_id = $1", request_id
    )


async def set_status(
    conn: asyncpg.Connection,
    incident_id: UUID,
    status: Status,
    at: datetime,
    *,
    assignee_id: UUID | None,
    assigned_at: datetime | None,
) -> None:
    """The row after a checked status change (its status entry is public)."""
    await conn.execute(
        """
        UPDATE incidents SET status = $2, updated_at = $3, assignee_id = $4,
            -- its status entry is public
            public_updated_at = greatest(public_updated_at, $3),
            assigned_at = coalesce($5, assigned_at),
            resolved_at = CASE WHEN $2 = 'resolved' THEN $3
                               WHEN $2 = 'closed' THEN resolved_at ELSE NULL END,
            closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE NULL END
        WHERE id = $1
        """,
        incident_id,
        status.value,
        at,
        assignee_id,
        assigned_at,
    )


async def touch(conn: asyncpg.Connection, incident_id: UUID, at: datetime, *, public: bool) -> None:
    """An entry was written: the incident changed, and for a public one so did what a
    client sees."""
    await conn.execute(
        "UPDATE incidents SET updated_at = $2, public_updated_at = CASE WHEN $3 "
        "THEN greatest(public_updated_at, $2) ELSE public_updated_at END WHERE id = $1",
        incident_id,
        at,
        public,
    )


async def reclassify(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    title: str,
    category_id: UUID,
    category_path: tuple[str, ...],
    priority: str,
    channel: str,
    at: datetime,
) -> None:
    await conn.execute(
        "UPDATE incidents SET title = $2, category_id = $3, category_path = $4, "
        "priority = $5, channel = $7, updated_at = $6, "
        "public_updated_at = greatest(public_updated_at, $6) WHERE id = $1",
        incident_id,
        title,
        category_id,
        list(category_path),
        priority,
        at,
        channel,
    )


async def assign(conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID, at: datetime) -> None:
    """The assignee of an incident past `new` (its status stays)."""
    await conn.execute(
        "UPDATE incidents SET assignee_id = $2, assigned_at = $3, "
        "updated_at = greatest(updated_at, $3) WHERE id = $1",
        incident_id,
        agent_id,
        at,
    )


async def set_deadlines(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    response_due: datetime | None,
    resolution_due: datetime | None,
    computed_at: datetime,
) -> bool:
    """Applies the due times unless a later computation has been; whether it did."""
    applied = await conn.fetchval(
        "UPDATE incidents SET response_due = $2, resolution_due = $3, "
        "deadlines_computed_at = $4, public_updated_at = greatest(public_updated_at, $4) "
        "WHERE id = $1 AND (deadlines_computed_at IS NULL OR deadlines_computed_at <= $4) "
        "RETURNING true",
        incident_id,
        response_due,
        resolution_due,
        computed_at,
    )
    return bool(applied)


async def claim_resolved_before(
    conn: asyncpg.Connection, before: datetime, batch: int
) -> list[asyncpg.Record]:
    """Resolved incidents resolved by `before`, locked with SKIP LOCKED so two intake
    instances never take one twice."""
    rows: list[Any] = await conn.fetch(
        "SELECT * FROM incidents WHERE status = 'resolved' AND resolved_at <= $1 "
        "ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        before,
        batch,
    )
    return rows


async def rating(conn: Db, incident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM ratings WHERE incident_id = $1", incident_id)


async def clear_rating(conn: asyncpg.Connection, incident_id: UUID) -> None:
    """The rating of a resolution that no longer holds goes (a reopen)."""
    await conn.execute("DELETE FROM ratings WHERE incident_id = $1", incident_id)


async def rate(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    score: int,
    comment: str,
    rated_by: UUID,
    at: datetime,
) -> None:
    """Stores (or replaces) the rating; the incident changed for everyone."""
    await conn.execute(
        """
        INSERT INTO ratings (incident_id, score, comment, rated_by, rated_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (incident_id) DO UPDATE SET score = EXCLUDED.score,
            comment = EXCLUDED.comment, rated_by = EXCLUDED.rated_by,
            rated_at = EXCLUDED.rated_at
        """,
        incident_id,
        score,
        comment,
        rated_by,
        at,
    )
    await conn.execute(
        "UPDATE incidents SET updated_at = greatest(updated_at, $2), "
        "public_updated_at = greatest(public_updated_at, $2) WHERE id = $1",
        incident_id,
        at,
    )


async def states(
    conn: Db, *, incident_ids: tuple[UUID, ...] | None, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    """The named incidents in any state, else a page of open ones after `after`; id order."""
    rows: list[Any]
    if incident_ids is not None:
        rows = await conn.fetch(
            f"SELECT {STATE_COLUMNS} FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id",
            list(incident_ids),
        )
    else:
        rows = await conn.fetch(
            f"SELECT {STATE_COLUMNS} FROM incidents "
            "WHERE status NOT IN ('resolved', 'closed') AND ($1::uuid IS NULL OR id > $1) "
            "ORDER BY id LIMIT $2",
            after,
            limit,
        )
    return rows


async def page(
    pool: asyncpg.Pool,
    query: ListIncidents,
    principal: visibility.Principal,
    *,
    category_path: tuple[str, ...] | None,
    now: datetime,
    cap: int,
) -> tuple[int, list[asyncpg.Record]]:
    """One page of the principal's list and its match count (exact up to `cap`, then
    `cap` + 1), both read from one snapshot."""
    where = listing.list_filter(query, principal, category_path=category_path, now=now)
    n = len(where.args)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        if not principal.is_staff:
            # A generic plan cannot see how much of one organization the words match
            # and picked a 27 ms join-and-sort over a 1.5 ms walk of the date index;
            # a client's list is planned for its own values. (Staff lists fare
            # better with the cached plan: it stops counting early on common words.)
            await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        count_sql, count_args = listing.count_statement(
            query, principal, category_path=category_path, now=now, cap=cap
        )
        counted: int = await conn.fetchval(count_sql, *count_args)
        order = listing.order_by(query.sort, principal)
        rows: list[Any] = await conn.fetch(
            f"SELECT {LIST_COLUMNS} FROM incidents WHERE {where.where} "
            f"ORDER BY {order} LIMIT ${n + 1} OFFSET ${n + 2}",
            *where.args,
            query.limit,
            query.offset,
        )
    return counted, rows


async def counts(
    conn: Db, principal: visibility.Principal, *, organization_id: UUID | None
) -> list[asyncpg.Record]:
    """Counts by category × priority × status within the principal's scope."""
    where = listing.scope_filter(principal)
    if organization_id is not None:
        where.add("organization_id = {0}", organization_id)
    rows: list[Any] = await conn.fetch(
        "SELECT category_id, category_path, priority, status, count(*) AS n FROM incidents "
        f"WHERE {where.where} GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4",
        *where.args,
    )
    return rows
