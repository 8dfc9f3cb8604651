"""Service informing on the real database and broker: a notice's timer fires once
after a restart of assets (it fell due while assets was down), never again after the
next restart, and a changed date re-arms it (a new date is noticed; a date noticed
already is not noticed twice)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from assets import informing, views
from desk_contracts.messages import (
    CreateEquipment,
    EquipmentNotices,
    EquipmentTerms,
    EquipmentView,
    LeadTimes,
    ListEquipmentNotices,
    SetLeadTimes,
    UpdateEquipment,
)
from desk_runtime.testing import wait_until
from desk_runtime.timers import timers_of

from .conftest import AGENT, CLIENT, MANAGER, ORG, Assets

pytestmark = pytest.mark.integration


async def create(assets: Assets, serial: str, **dates: date) -> EquipmentView:
    return await assets.ask.ask_as(
        CreateEquipment(
            principal=AGENT,
            equipment_id=uuid4(),
            organization_id=ORG,
            terms=EquipmentTerms(model="LaserJet", manufacturer="HP", serial_number=serial,
                                 **dates),
        ),
        EquipmentView,
    )  # fmt: skip


def heard_about(assets: Assets, equipment_id: UUID) -> list[dict[str, Any]]:
    return [
        body["payload"]
        for body in assets.heard.bodies
        if body["payload"]["equipment_id"] == str(equipment_id)
    ]


async def noticed(assets: Assets, equipment_id: UUID, count: int) -> list[dict[str, Any]]:
    """Waits until the device's notices were announced `count` times in all."""
    return await wait_until(
        lambda: (found := heard_about(assets, equipment_id)) and len(found) >= count and found
    )


async def test_a_notice_due_while_assets_was_down_fires_once_after_the_restart(
    assets: Assets,
) -> None:
    today = views.today()
    lead = await assets.ask.ask_as(
        SetLeadTimes(principal=MANAGER, organization_id=ORG, warranty_days=29), LeadTimes
    )
    assert (lead.warranty_days, lead.contract_days, lead.chosen) == (29, 60, True)
    ends = today + timedelta(days=30)
    device = await create(assets, "RESTART-1", warranty_until=ends)
    key = informing.key_of(device.equipment_id)
    (timer,) = await timers_of(assets.service.pool, key)
    assert (timer.kind, timer.state) == (f"warranty_end:{ends}", "armed")
    assert timer.due_at.date() == today + timedelta(days=1)

    await assets.stop()
    # The day comes while assets is down.
    conn = await asyncpg.connect(assets.settings.database_url("assets"))
    try:
        await conn.execute(
            "UPDATE durable_timers SET due_at = now() - interval '1 minute' WHERE key = $1", key
        )
    finally:
        await conn.close()
    service = await assets.restart()

    (event,) = await noticed(assets, device.equipment_id, 1)
    assert event["kind"] == "warranty_end"
    assert event["due_on"] == ends.isoformat()
    assert event["organization_id"] == str(ORG)
    assert event["serial_number"] == "RESTART-1"
    (timer,) = await timers_of(service.pool, key)
    assert timer.state == "fired"

    # Another restart fires nothing more: a device due now, recorded after it, is
    # noticed, and by then the first one still has its one notice.
    service = await assets.restart()
    sentinel = await create(assets, "SENTINEL-1", warranty_until=today + timedelta(days=5))
    await noticed(assets, sentinel.equipment_id, 1)
    assert len(heard_about(assets, device.equipment_id)) == 1
    notices = await assets.ask.ask_as(
        ListEquipmentNotices(principal=CLIENT, equipment_id=device.equipment_id),
        EquipmentNotices,
    )
    assert [(n.kind, n.due_on, n.days_left) for n in notices.items] == [("warranty_end", ends, 30)]


async def test_changing_the_date_rearms_the_notice_once_per_date(assets: Assets) -> None:
    today = views.today()
    device = await create(assets, "MOVE-1", service_contract_until=today + timedelta(days=400))
    key = informing.key_of(device.equipment_id)
    assert [t.state for t in await timers_of(assets.service.pool, key)] == ["armed"]

    async def move(to: date) -> None:
        await assets.ask.ask_as(
            UpdateEquipment(
                principal=AGENT,
                equipment_id=device.equipment_id,
                fields=("service_contract_until",),
                service_contract_until=to,
            ),
            EquipmentView,
        )

    # Within the 60 days' lead: noticed at once.
    soon = today + timedelta(days=20)
    await move(soon)
    (first,) = await noticed(assets, device.equipment_id, 1)
    assert (first["kind"], first["due_on"], first["days_left"]) == (
        "contract_end",
        soon.isoformat(),
        20,
    )
    # Another date is another notice; going back to a date noticed already is none.
    later = today + timedelta(days=25)
    await move(later)
    await noticed(assets, device.equipment_id, 2)
    await move(soon)
    sentinel = await create(assets, "SENTINEL-2", warranty_until=today + timedelta(days=1))
    await noticed(assets, sentinel.equipment_id, 1)
    assert [e["due_on"] for e in heard_about(assets, device.equipment_id)] == [
        soon.isoformat(),
        later.isoformat(),
    ]
    states = {t.kind: t.state for t in await timers_of(assets.service.pool, key)}
    assert states == {
        f"contract_end:{today + timedelta(days=400)}": "cancelled",
        f"contract_end:{soon}": "fired",
        f"contract_end:{later}": "fired",
    }
