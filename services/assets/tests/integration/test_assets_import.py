"""An import on the real database: the valid rows are recorded in one go with their
notices armed, each bad row is reported with its column and reason (a serial recorded
already, one repeated in the file, a bad date), and a retry records nothing twice."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from assets import informing, views
from desk_contracts.messages import (
    CreateEquipment,
    EquipmentTerms,
    EquipmentView,
    ImportEquipment,
    ImportReport,
    ImportRow,
)
from desk_runtime.rpc import RemoteFailure
from desk_runtime.timers import timers_of

from .conftest import AGENT, CLIENT, ORG, Assets

pytestmark = pytest.mark.integration


def row(line: int, serial: str, **cells: str) -> ImportRow:
    return ImportRow(
        line=line,
        cells={"model": "LaserJet", "manufacturer": "HP", "serial_number": serial, **cells},
    )


async def test_an_import_records_the_good_rows_and_reports_each_bad_one(assets: Assets) -> None:
    await assets.ask.ask_as(
        CreateEquipment(
            principal=AGENT,
            equipment_id=uuid4(),
            organization_id=ORG,
            terms=EquipmentTerms(model="M", manufacturer="hp", serial_number="KNOWN"),
        ),
        EquipmentView,
    )
    ends = views.today() + timedelta(days=90)
    request = ImportEquipment(
        principal=AGENT,
        import_id=uuid4(),
        organization_id=ORG,
        rows=(
            row(2, "A-1", warranty_until=ends.isoformat()),
            row(3, "known"),
            row(4, "A-2", warranty_until="2027-02-30"),
            row(5, "a-1 "),
            row(6, "", model="x"),
            row(7, "A-3", maintenance_interval_months="6", installed_on="2026-01-31"),
        ),
    )
    report = await assets.ask.ask_as(request, ImportReport)
    assert [(a.line, a.serial_number) for a in report.accepted] == [(2, "A-1"), (7, "A-3")]
    assert [(r.line, r.field, r.reason, r.values) for r in report.rejected] == [
        (3, "serial_number", "is recorded already", {}),
        (4, "warranty_until", "not a date (write YYYY-MM-DD)", {}),
        (5, "serial_number", "repeats line {line} of this file", {"line": "2"}),
        (6, "serial_number", "is required", {}),
    ]
    pool = assets.service.pool
    assert await pool.fetchval("SELECT count(*) FROM equipment") == 3
    first = report.accepted[0].equipment_id
    kinds = [t.kind for t in await timers_of(pool, informing.key_of(first))]
    assert kinds == [f"warranty_end:{ends}"]

    again = await assets.ask.ask_as(request, ImportReport)
    assert again == report
    assert await pool.fetchval("SELECT count(*) FROM equipment") == 3


async def test_clients_do_not_import(assets: Assets) -> None:
    with pytest.raises(RemoteFailure) as refused:
        await assets.ask.ask(
            ImportEquipment(
                principal=CLIENT, import_id=uuid4(), organization_id=ORG, rows=(row(2, "Q"),)
            )
        )
    assert refused.value.failure.status == 403
    assert await assets.service.pool.fetchval("SELECT count(*) FROM equipment") == 0
