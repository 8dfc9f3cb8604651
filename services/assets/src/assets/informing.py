"""Service informing (SPEC §13): each device's notices as durable timers, one per kind
and due date (desk_runtime.timers), armed with every change of its dates or of its
organization's lead times; a timer that fires logs the notice on the device and
announces it (EquipmentNoticeDue, which notify turns into mails)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.messages import EquipmentNoticeDue, LeadTimes
from desk_runtime import timers
from desk_runtime.service import UnitOfWork
from desk_runtime.timers import FiredTimer, Timer

from . import domain, store, views

FAMILIES = ("warranty_end", "contract_end", "maintenance_due")


def key_of(equipment_id: UUID) -> str:
    return f"equipment:{equipment_id}"


def instant_of(day: date) -> datetime:
    """A notice goes out at the start of its day (UTC): one whose day has come
    goes out at once."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


async def arm(conn: asyncpg.Connection, row: asyncpg.Record, lead: LeadTimes, today: date) -> None:
    """Make the device's armed timers exactly the notices it is still due; a notice
    fired already stays fired (each goes out once per due date)."""
    key = key_of(row["equipment_id"])
    planned = domain.plan_notices(views.terms_of(row), lead, today)
    await timers.replace(
        conn,
        key,
        [
            Timer(
                kind=notice.timer_kind,
                key=key,
                due_at=instant_of(notice.notify_on),
                payload={"equipment_id": str(row["equipment_id"]), "due_on": str(notice.due_on)},
            )
            for notice in planned
        ],
    )


async def arm_device(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    await arm(conn, row, await store.lead_times(conn, row["organization_id"]), views.today())


async def rearm_organization(conn: asyncpg.Connection, lead: LeadTimes) -> None:
    today = views.today()
    for row in await store.equipment_of(conn, lead.organization_id):
        await arm(conn, row, lead, today)


async def notices_due(uow: UnitOfWork, fired: list[FiredTimer]) -> None:
    """Each fired timer: the notice logged on its device (once per kind and due date)
    and announced; then the device's next notices armed (the next maintenance)."""
    for timer in fired:
        equipment_id = UUID(str(timer.payload["equipment_id"]))
        due_on = date.fromisoformat(str(timer.payload["due_on"]))
        # Read, not locked: a change of the device waits on this timer's row, so
        # waiting on the device's row here could deadlock with it.
        row = await store.equipment(uow.conn, equipment_id)
        if row is None:
            continue
        on = timer.fired_at.astimezone(UTC).date()
        left = domain.days_left(due_on, on)
        logged = await store.record_notice(
            uow.conn, uuid4(), equipment_id, timer.family, due_on, left
        )
        if logged is not None:
            await uow.publish(
                EquipmentNoticeDue(
                    notice_id=logged["notice_id"],
                    equipment_id=equipment_id,
                    organization_id=row["organization_id"],
                    kind=timer.family,
                    due_on=due_on,
                    days_left=left,
                    model=row["model"],
                    manufacturer=row["manufacturer"],
                    serial_number=row["serial_number"],
                    location=row["location"],
                    noticed_at=logged["noticed_at"],
                )
            )
        await arm(uow.conn, row, await store.lead_times(uow.conn, row["organization_id"]), on)


HANDLERS = dict.fromkeys(FAMILIES, notices_due)
