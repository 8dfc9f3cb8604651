"""Replies built from rows: a device with what its terms mean on the day asked, the
scope check every question goes through, and a device's notices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
from desk_contracts.messages import (
    EQUIPMENT_FIELDS,
    EquipmentNotice,
    EquipmentTerms,
    EquipmentView,
    Principal,
)
from desk_runtime.errors import Forbidden, NotFound

from . import domain, store


def today() -> date:
    """The day the terms are read on: the calendar day in UTC."""
    return datetime.now(UTC).date()


def terms_of(row: asyncpg.Record) -> EquipmentTerms:
    return EquipmentTerms.model_construct(**{name: row[name] for name in EQUIPMENT_FIELDS})


def equipment_view(row: asyncpg.Record, on: date | None = None) -> EquipmentView:
    day = on or today()
    terms = terms_of(row)
    return EquipmentView(
        equipment_id=row["equipment_id"],
        organization_id=row["organization_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        under_warranty=domain.covered(terms.warranty_until, day),
        under_service_contract=domain.covered(terms.service_contract_until, day),
        next_maintenance_on=domain.next_maintenance(terms, day),
        **{name: row[name] for name in EQUIPMENT_FIELDS},
    )


def notice_view(row: asyncpg.Record) -> EquipmentNotice:
    return EquipmentNotice(**dict(row))


def visible(principal: Principal, organization_id: UUID) -> bool:
    return domain.can_see(principal.role.is_staff, principal.organization_id, organization_id)


async def visible_equipment(
    conn: store.Conn, principal: Principal, equipment_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    """The device, when the principal may see it; "not found" alike when it does not
    exist and when it belongs to another organization."""
    row = await store.equipment(conn, equipment_id, lock=lock)
    if row is None or not visible(principal, row["organization_id"]):
        raise NotFound("no such equipment")
    return row


def staff_only(principal: Principal) -> None:
    """Recording and changing equipment is staff's work."""
    if not principal.role.is_staff:
        raise Forbidden("staff only")
