"""Service informing (SPEC §13): each device's notices as durable timers, one per kind
and due date (desk_runtime.timers), armed with every change of its dates or of its
organization's lead times; a timer that fires logs the notice on the device and
announces it (EquipmentNoticeDue, which notify turns into mails)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.messages import EquipmentNoticeDue, EquipmentTerms, LeadTimes
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


def timers_for(
    equipment_id: UUID, terms: EquipmentTerms, lead: LeadTimes, today: date
) -> list[Timer]:
    """The timers of the notices a device is still due."""
    key = key_of(equipment_id)
    return [
        Timer(
            kind=notice.timer_kind,
            key=key,
            due_at=instant_of(notice.notify_on),
            payload={"equipment_id": str(equipment_id), "due_on": str(notice.due_on)},
        )
        for notice in domain.plan_notices(terms, lead, today)
    ]


async def arm(conn: asyncpg.Connection, row: asyncpg.Record, lead: LeadTimes, today: date) -> None:
    """Make the device's armed timers exactly the notices it is still due; a notice
    fired already stays fired (each goes out once per due date)."""
    equipment_id = row["equipment_id"]
    await timers.replace(
        conn, key_of(equipment_id), timers_for(equipment_id, views.terms_of(row), lead, today)
    )


async def arm_new(
    conn: asyncpg.Connection,
    devices: list[tuple[UUID, EquipmentTerms]],
    lead: LeadTimes,
    today: date,
) -> None:
    """The notices of devices just recorded (none has a timer yet), in one statement."""
    wanted = [
        t for equipment_id, terms in devices for t in timers_for(equipment_id, terms, lead, today)
    ]
    await timers.arm(conn, wanted)


async def arm_device(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    await arm(conn, row, await store.lead_times(conn, row["organization_id"]), views.today())


async def rearm_organization(conn: asyncpg.Connection, lead: LeadTimes) -> None:
    """New lead times move the days of the organization's notices, in one statement: a
    change of lead alone names the same notices (kinds and due dates), so arming them
    moves each armed one and leaves the fired ones fired."""
    today = views.today()
    await timers.arm(
        conn,
        [
            timer
            for row in await store.equipment_of(conn, lead.organization_id)
            for timer in timers_for(row["equipment_id"], views.terms_of(row), lead, today)
        ],
    )


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
