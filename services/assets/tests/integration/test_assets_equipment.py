"""Equipment on the real database through request/reply: recorded by staff, a serial
number once per manufacturer, a client sees only its organization's devices (another's
is "not found"), and a change of dates re-arms the device's notice timers."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from assets import informing, views
from desk_contracts.messages import (
    CreateEquipment,
    EquipmentPage,
    EquipmentTerms,
    EquipmentView,
    GetEquipment,
    ListEquipment,
    ListEquipmentNotices,
    UpdateEquipment,
)
from desk_runtime.rpc import RemoteFailure
from desk_runtime.timers import timers_of

from .conftest import AGENT, CLIENT, ORG, OTHER_ORG, STRANGER, Assets

pytestmark = pytest.mark.integration


def terms(serial: str, manufacturer: str = "HP", **more: object) -> EquipmentTerms:
    return EquipmentTerms.model_validate(
        {"model": "LaserJet 4250", "manufacturer": manufacturer, "serial_number": serial, **more}
    )


async def create(assets: Assets, organization: object, t: EquipmentTerms) -> EquipmentView:
    return await assets.ask.ask_as(
        CreateEquipment(principal=AGENT, equipment_id=uuid4(), organization_id=organization,
                        terms=t),
        EquipmentView,
    )  # fmt: skip


async def test_staff_record_devices_and_a_serial_is_unique_per_manufacturer(
    assets: Assets,
) -> None:
    today = views.today()
    first = await create(assets, ORG, terms("cnb-100", warranty_until=today + timedelta(days=3)))
    assert first.serial_number == "CNB-100"
    assert first.under_warranty is True
    assert first.under_service_contract is False

    with pytest.raises(RemoteFailure) as refused:
        await create(assets, OTHER_ORG, terms(" CNB-100 ", manufacturer="hp"))
    assert refused.value.failure.status == 409
    assert refused.value.failure.errors[0].field == "serial_number"
    # Another manufacturer may use the same serial number.
    await create(assets, OTHER_ORG, terms("CNB-100", manufacturer="Canon"))

    # A retried create answers the device it made, and records nothing more.
    retry = CreateEquipment(
        principal=AGENT, equipment_id=uuid4(), organization_id=ORG, terms=terms("X-1")
    )
    once = await assets.ask.ask_as(retry, EquipmentView)
    again = await assets.ask.ask_as(retry, EquipmentView)
    assert once.equipment_id == again.equipment_id
    count = await assets.service.pool.fetchval("SELECT count(*) FROM equipment")
    assert count == 3

    with pytest.raises(RemoteFailure) as bad:
        await create(assets, ORG, terms("Y-1", installed_on=today,
                                        warranty_until=today - timedelta(days=1)))  # fmt: skip
    assert bad.value.failure.status == 422
    assert bad.value.failure.errors[0].field == "warranty_until"

    with pytest.raises(RemoteFailure) as forbidden:
        await assets.ask.ask_as(
            CreateEquipment(
                principal=CLIENT, equipment_id=uuid4(), organization_id=ORG, terms=terms("Z")
            ),
            EquipmentView,
        )
    assert forbidden.value.failure.status == 403


async def test_a_client_sees_only_its_organizations_equipment(assets: Assets) -> None:
    mine = await create(assets, ORG, terms("MINE-1"))
    theirs = await create(assets, OTHER_ORG, terms("THEIRS-1"))

    seen = await assets.ask.ask_as(
        ListEquipment(principal=CLIENT, organization_id=OTHER_ORG), EquipmentPage
    )
    assert [d.equipment_id for d in seen.items] == [mine.equipment_id]
    assert seen.total == 1
    staff = await assets.ask.ask_as(ListEquipment(principal=AGENT), EquipmentPage)
    assert {d.equipment_id for d in staff.items} == {mine.equipment_id, theirs.equipment_id}
    found = await assets.ask.ask_as(ListEquipment(principal=AGENT, q="theirs"), EquipmentPage)
    assert [d.equipment_id for d in found.items] == [theirs.equipment_id]

    own = await assets.ask.ask_as(
        GetEquipment(principal=CLIENT, equipment_id=mine.equipment_id), EquipmentView
    )
    assert own.serial_number == "MINE-1"
    for asked in (
        GetEquipment(principal=STRANGER, equipment_id=mine.equipment_id),
        GetEquipment(principal=CLIENT, equipment_id=theirs.equipment_id),
        GetEquipment(principal=CLIENT, equipment_id=uuid4()),
        ListEquipmentNotices(principal=STRANGER, equipment_id=mine.equipment_id),
    ):
        with pytest.raises(RemoteFailure) as hidden:
            await assets.ask.ask(asked)
        assert hidden.value.failure.status == 404
        assert hidden.value.failure.detail == "no such equipment"


async def test_changing_a_date_rearms_the_devices_notices(assets: Assets) -> None:
    today = views.today()
    device = await create(
        assets,
        ORG,
        terms(
            "ARM-1",
            warranty_until=today + timedelta(days=400),
            installed_on=today - timedelta(days=10),
            maintenance_interval_months=6,
        ),
    )
    key = informing.key_of(device.equipment_id)
    armed = {t.kind: t for t in await timers_of(assets.service.pool, key)}
    warranty = f"warranty_end:{today + timedelta(days=400)}"
    assert armed[warranty].state == "armed"
    assert armed[warranty].due_at.date() == today + timedelta(days=370)
    assert sum(k.startswith("maintenance_due:") for k in armed) == 2

    moved = today + timedelta(days=500)
    changed = await assets.ask.ask_as(
        UpdateEquipment(
            principal=AGENT,
            equipment_id=device.equipment_id,
            fields=("warranty_until", "maintenance_interval_months"),
            warranty_until=moved,
        ),
        EquipmentView,
    )
    assert changed.warranty_until == moved
    assert changed.maintenance_interval_months is None
    assert changed.serial_number == "ARM-1"  # what was not named stays
    states = {t.kind: t.state for t in await timers_of(assets.service.pool, key)}
    assert states[warranty] == "cancelled"
    assert states[f"warranty_end:{moved}"] == "armed"
    assert [k for k, s in states.items() if s == "armed"] == [f"warranty_end:{moved}"]

    with pytest.raises(RemoteFailure) as refused:
        await assets.ask.ask(
            UpdateEquipment(
                principal=AGENT, equipment_id=device.equipment_id, fields=("model",), model=None
            )
        )
    assert refused.value.failure.status == 422
