"""Contracts (each change a new version), calendars, and which contract each
organization's incidents are registered under."""

from __future__ import annotations

from typing import Any, TypeAlias
from uuid import UUID, uuid4

import asyncpg

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

# A contract version with its calendar, as `contracts.version_from_row` reads it.
CONTRACT_COLUMNS = """
    c.id, c.version, c.name, c.calendar_id, c.rules, c.escalation, c.quotas, c.channels,
    c.is_default,
    c.created_at, cal.name AS calendar_name, cal.time_zone, cal.always_open,
    cal.weekly_hours, cal.holidays
"""


async def versions_for(conn: asyncpg.Connection, organization_id: UUID) -> list[asyncpg.Record]:
    """Every version of the organization's contract, else of the default one, in order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""
        SELECT {CONTRACT_COLUMNS}
        FROM contracts c JOIN calendars cal ON cal.id = c.calendar_id
        WHERE c.id = COALESCE(
            (SELECT oc.contract_id FROM organization_contracts oc
             WHERE oc.organization_id = $1
               AND EXISTS (SELECT 1 FROM contracts x WHERE x.id = oc.contract_id)),
            (SELECT d.id FROM contracts d
             WHERE d.version = (SELECT max(v.version) FROM contracts v WHERE v.id = d.id)
             ORDER BY d.is_default DESC, d.created_at DESC LIMIT 1))
        ORDER BY c.version
        """,
        organization_id,
    )
    return rows


async def version(db: Db, contract_id: UUID, number: int | None) -> asyncpg.Record | None:
    """One version of the contract (the latest without `number`)."""
    row: asyncpg.Record | None = await db.fetchrow(
        f"""
        SELECT {CONTRACT_COLUMNS}
        FROM contracts c JOIN calendars cal ON cal.id = c.calendar_id
        WHERE c.id = $1 AND ($2::int IS NULL OR c.version = $2)
        ORDER BY c.version DESC LIMIT 1
        """,
        contract_id,
        number,
    )
    return row


async def latest_versions(
    pool: asyncpg.Pool, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """A page of contracts (each at its latest version) by name, and how many there are."""
    rows = await pool.fetch(
        f"""
        SELECT * FROM (
            SELECT DISTINCT ON (c.id) {CONTRACT_COLUMNS}
            FROM contracts c JOIN calendars cal ON cal.id = c.calendar_id
            ORDER BY c.id, c.version DESC
        ) latest ORDER BY name, id LIMIT $1 OFFSET $2
        """,
        limit,
        offset,
    )
    total = await pool.fetchval("SELECT count(DISTINCT id) FROM contracts")
    return rows, total


async def next_version(conn: asyncpg.Connection, contract_id: UUID) -> int | None:
    """The number the contract's next version gets, under a lock that serialises
    concurrent revisions of it (each gets its own version); None for no such contract."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1::text))", str(contract_id))
    latest = await conn.fetchval("SELECT max(version) FROM contracts WHERE id = $1", contract_id)
    return None if latest is None else int(latest) + 1


async def add_version(
    conn: asyncpg.Connection, contract_id: UUID, number: int, values: dict[str, Any]
) -> None:
    """A contract's version `number`; one saved as the default makes every other
    contract not the default."""
    if values["is_default"]:
        await conn.execute("UPDATE contracts SET is_default = false WHERE id <> $1", contract_id)
    await conn.execute(
        """
        INSERT INTO contracts (id, version, name, calendar_id, rules, escalation, quotas,
            is_default, channels)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        contract_id,
        number,
        values["name"],
        values["calendar_id"],
        values["rules"],
        values["escalation"],
        values["quotas"],
        values["is_default"],
        values["channels"],
    )


async def calendars_by_id(db: Db, ids: list[UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT * FROM calendars WHERE id = ANY($1::uuid[])", ids
    )
    return rows


# --- calendars ----------------------------------------------------------------------------


async def calendar(db: Db, calendar_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT * FROM calendars WHERE id = $1", calendar_id
    )
    return row


async def calendar_exists(conn: asyncpg.Connection, calendar_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM calendars WHERE id = $1", calendar_id))


async def calendars_page(
    pool: asyncpg.Pool, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """A page of calendars by name, and how many there are."""
    rows = await pool.fetch(
        "SELECT *, count(*) OVER () AS total FROM calendars ORDER BY name, id LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    total = rows[0]["total"] if rows else await pool.fetchval("SELECT count(*) FROM calendars")
    return rows, total


async def save_calendar(
    conn: asyncpg.Connection, calendar_id: UUID | None, values: dict[str, Any]
) -> asyncpg.Record | None:
    """A new calendar (no `calendar_id`) or a replaced one; None for no such calendar."""
    args = (
        values["name"],
        values["time_zone"],
        values["always_open"],
        values["weekly_hours"],
        values["holidays"],
    )
    if calendar_id is not None:
        row: asyncpg.Record | None = await conn.fetchrow(
            """
            UPDATE calendars SET name = $2, time_zone = $3, always_open = $4,
                weekly_hours = $5, holidays = $6, updated_at = now()
            WHERE id = $1 RETURNING *
            """,
            calendar_id,
            *args,
        )
        return row
    created: asyncpg.Record = await conn.fetchrow(
        """
        INSERT INTO calendars (id, name, time_zone, always_open, weekly_hours, holidays)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
        """,
        uuid4(),
        *args,
    )
    return created


async def insert_calendar(
    conn: asyncpg.Connection, calendar_id: UUID, values: dict[str, Any]
) -> None:
    """A calendar under a fixed id, unless one exists with it."""
    await conn.execute(
        """
        INSERT INTO calendars (id, name, time_zone, always_open, weekly_hours, holidays)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING
        """,
        calendar_id,
        values["name"],
        values["time_zone"],
        values["always_open"],
        values["weekly_hours"],
        values["holidays"],
    )


# --- organizations ------------------------------------------------------------------------


async def set_organization_contract(
    conn: asyncpg.Connection, organization_id: UUID, contract_id: UUID | None
) -> None:
    """Which contract the organization's new incidents are registered under (None: the
    default one)."""
    if contract_id is None:
        await conn.execute(
            "DELETE FROM organization_contracts WHERE organization_id = $1", organization_id
        )
        return
    await conn.execute(
        """
        INSERT INTO organization_contracts (organization_id, contract_id) VALUES ($1, $2)
        ON CONFLICT (organization_id) DO UPDATE
            SET contract_id = EXCLUDED.contract_id, updated_at = now()
        """,
        organization_id,
        contract_id,
    )
