"""SQL of the assets service: equipment, lead times, the notices sent and the reports
of imports. Nothing else in the service writes SQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg
from desk_contracts.messages import EQUIPMENT_FIELDS, EquipmentTerms, LeadTimes

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool

_COLUMNS = ", ".join(EQUIPMENT_FIELDS)
_SELECT = f"SELECT equipment_id, organization_id, {_COLUMNS}, created_at, updated_at FROM equipment"


def _values(terms: EquipmentTerms) -> list[Any]:
    return [getattr(terms, name) for name in EQUIPMENT_FIELDS]


async def insert_equipment(
    conn: asyncpg.Connection, equipment_id: UUID, organization_id: UUID, terms: EquipmentTerms
) -> asyncpg.Record | None:
    """The new device, or None when `equipment_id` is recorded already. A serial number
    the manufacturer has already raises asyncpg.UniqueViolationError."""
    placeholders = ", ".join(f"${i}" for i in range(3, 3 + len(EQUIPMENT_FIELDS)))
    row: asyncpg.Record | None = await conn.fetchrow(
        f"INSERT INTO equipment (equipment_id, organization_id, {_COLUMNS}) "
        f"VALUES ($1, $2, {placeholders}) ON CONFLICT (equipment_id) DO NOTHING "
        f"RETURNING equipment_id, organization_id, {_COLUMNS}, created_at, updated_at",
        equipment_id,
        organization_id,
        *_values(terms),
    )
    return row


async def insert_many(
    conn: asyncpg.Connection, organization_id: UUID, devices: list[tuple[UUID, EquipmentTerms]]
) -> None:
    """Devices of an import, in one statement (their serials were checked first)."""
    if not devices:
        return
    columns = [[getattr(terms, name) for _, terms in devices] for name in EQUIPMENT_FIELDS]
    types = {
        "installed_on": "date",
        "warranty_until": "date",
        "service_contract_until": "date",
        "maintenance_interval_months": "int",
        "last_maintenance_on": "date",
    }
    arrays = ", ".join(
        f"${i}::{types.get(name, 'text')}[]" for i, name in enumerate(EQUIPMENT_FIELDS, start=3)
    )
    await conn.execute(
        f"INSERT INTO equipment (equipment_id, organization_id, {_COLUMNS}) "
        f"SELECT id, $2, {_COLUMNS} FROM unnest($1::uuid[], {arrays}) "
        f"AS d(id, {_COLUMNS})",
        [equipment_id for equipment_id, _ in devices],
        organization_id,
        *columns,
    )


async def equipment(conn: Conn, equipment_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{_SELECT} WHERE equipment_id = $1" + (" FOR UPDATE" if lock else ""), equipment_id
    )
    return row


async def update_equipment(
    conn: asyncpg.Connection, equipment_id: UUID, terms: EquipmentTerms
) -> asyncpg.Record:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(EQUIPMENT_FIELDS, start=2))
    row: asyncpg.Record = await conn.fetchrow(
        f"UPDATE equipment SET {sets}, updated_at = clock_timestamp() WHERE equipment_id = $1 "
        f"RETURNING equipment_id, organization_id, {_COLUMNS}, created_at, updated_at",
        equipment_id,
        *_values(terms),
    )
    return row


async def list_equipment(
    conn: Conn,
    organization_id: UUID | None,
    q: str | None,
    limit: int,
    offset: int,
    serial_number: str | None = None,
) -> tuple[list[asyncpg.Record], int]:
    where: list[str] = ["TRUE"]
    args: list[Any] = []
    if organization_id is not None:
        args.append(organization_id)
        where.append(f"organization_id = ${len(args)}")
    if serial_number is not None:
        args.append(serial_number)
        where.append(f"serial_number = ${len(args)}")
    if q:
        args.append(f"%{q.strip()}%")
        n = len(args)
        where.append(f"(serial_number ILIKE ${n} OR model ILIKE ${n} OR manufacturer ILIKE ${n})")
    condition = " AND ".join(where)
    total: int = await conn.fetchval(f"SELECT count(*) FROM equipment WHERE {condition}", *args)
    rows = await conn.fetch(
        f"{_SELECT} WHERE {condition} ORDER BY manufacturer, model, serial_number "
        f"LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args,
        limit,
        offset,
    )
    return list(rows), total


async def equipment_of(conn: Conn, organization_id: UUID) -> list[asyncpg.Record]:
    rows = await conn.fetch(f"{_SELECT} WHERE organization_id = $1", organization_id)
    return list(rows)


async def recorded_serials(conn: Conn, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (manufacturer lower-case, serial) pairs are recorded already."""
    wanted = list(keys)
    if not wanted:
        return set()
    rows = await conn.fetch(
        "SELECT lower(manufacturer) AS m, serial_number AS s FROM equipment "
        "WHERE (lower(manufacturer), serial_number) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        [m for m, _ in wanted],
        [s for _, s in wanted],
    )
    return {(row["m"], row["s"]) for row in rows}


# --- lead times -------------------------------------------------------------------------


async def lead_times(conn: Conn, organization_id: UUID) -> LeadTimes:
    row = await conn.fetchrow(
        "SELECT warranty_days, contract_days, maintenance_days FROM lead_times "
        "WHERE organization_id = $1",
        organization_id,
    )
    if row is None:
        return LeadTimes(organization_id=organization_id)
    return LeadTimes(organization_id=organization_id, chosen=True, **dict(row))


async def set_lead_times(conn: asyncpg.Connection, lead: LeadTimes) -> None:
    await conn.execute(
        """
        INSERT INTO lead_times (organization_id, warranty_days, contract_days, maintenance_days)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (organization_id) DO UPDATE SET
            warranty_days = EXCLUDED.warranty_days, contract_days = EXCLUDED.contract_days,
            maintenance_days = EXCLUDED.maintenance_days, updated_at = clock_timestamp()
        """,
        lead.organization_id,
        lead.warranty_days,
        lead.contract_days,
        lead.maintenance_days,
    )


# --- notices ----------------------------------------------------------------------------


async def record_notice(
    conn: asyncpg.Connection,
    notice_id: UUID,
    equipment_id: UUID,
    kind: str,
    due_on: date,
    days_left: int,
) -> asyncpg.Record | None:
    """The notice as logged, or None when this device's notice of that kind and due
    date was logged already."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "INSERT INTO equipment_notices (notice_id, equipment_id, kind, due_on, days_left) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (equipment_id, kind, due_on) DO NOTHING "
        "RETURNING notice_id, kind, due_on, days_left, noticed_at",
        notice_id,
        equipment_id,
        kind,
        due_on,
        days_left,
    )
    return row


async def notices_of(conn: Conn, equipment_id: UUID) -> list[asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT notice_id, kind, due_on, days_left, noticed_at FROM equipment_notices "
        "WHERE equipment_id = $1 ORDER BY noticed_at DESC, kind",
        equipment_id,
    )
    return list(rows)


# --- imports ----------------------------------------------------------------------------


async def import_report(conn: Conn, import_id: UUID) -> Any:
    return await conn.fetchval(
        "SELECT report FROM equipment_imports WHERE import_id = $1", import_id
    )


async def save_import(
    conn: asyncpg.Connection, import_id: UUID, organization_id: UUID, report: dict[str, Any]
) -> bool:
    """False when a concurrent retry saved it first."""
    done = await conn.fetchval(
        "INSERT INTO equipment_imports (import_id, organization_id, report) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true",
        import_id,
        organization_id,
        report,
    )
    return bool(done)
