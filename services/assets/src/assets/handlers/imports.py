"""A list of devices imported at once (SPEC §13): every row checked, the valid ones
recorded in one transaction with their notices armed, the others reported with the
column at fault and the reason. A serial number already recorded, or repeated within
the file, is rejected; a retried import answers its first report."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
from desk_contracts.messages import (
    EquipmentTerms,
    ImportEquipment,
    ImportReport,
    RowAccepted,
    RowRejection,
)
from desk_runtime.errors import Conflict
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from .. import domain, informing, store, views

handlers = Handlers()


def device_id(import_id: UUID, line: int) -> UUID:
    """A row's device id, the same on a retry of the import."""
    return uuid5(NAMESPACE_URL, f"equipment-import:{import_id}:{line}")


@handlers.answers(ImportEquipment)
async def answer_import(request: ImportEquipment, service: Service) -> ImportReport:
    views.staff_only(request.principal)
    try:
        return await _import(request, service)
    except asyncpg.UniqueViolationError:
        # A device recorded meanwhile with a serial of this list, or this very import
        # retried at the same moment: nothing of this attempt was recorded.
        raise Conflict("a device of this list was recorded meanwhile; import it again") from None


async def _import(request: ImportEquipment, service: Service) -> ImportReport:
    async with service.transaction() as uow:
        earlier = await store.import_report(uow.conn, request.import_id)
        if earlier is not None:
            return ImportReport.model_validate(earlier)
        parsed: list[tuple[int, EquipmentTerms]] = []
        rejected: list[RowRejection] = []
        first_line: dict[tuple[str, str], int] = {}
        for cells in request.rows:
            outcome = domain.parse_row(cells.line, cells.cells)
            if isinstance(outcome, RowRejection):
                rejected.append(outcome)
                continue
            key = domain.serial_key(outcome.manufacturer, outcome.serial_number)
            if key in first_line:
                rejected.append(
                    RowRejection(
                        line=cells.line,
                        field="serial_number",
                        reason="repeats line {line} of this file",
                        values={"line": str(first_line[key])},
                    )
                )
                continue
            first_line[key] = cells.line
            parsed.append((cells.line, outcome))
        known = await store.recorded_serials(uow.conn, first_line)
        devices: list[tuple[UUID, EquipmentTerms]] = []
        accepted: list[RowAccepted] = []
        for line, terms in parsed:
            if domain.serial_key(terms.manufacturer, terms.serial_number) in known:
                rejected.append(
                    RowRejection(line=line, field="serial_number", reason="is recorded already")
                )
                continue
            equipment_id = device_id(request.import_id, line)
            devices.append((equipment_id, terms))
            accepted.append(
                RowAccepted(line=line, equipment_id=equipment_id, serial_number=terms.serial_number)
            )
        await store.insert_many(uow.conn, request.organization_id, devices)
        lead = await store.lead_times(uow.conn, request.organization_id)
        await informing.arm_new(uow.conn, devices, lead, views.today())
        report = ImportReport(
            accepted=tuple(accepted),
            rejected=tuple(sorted(rejected, key=lambda r: r.line)),
        )
        await store.save_import(
            uow.conn, request.import_id, request.organization_id, report.model_dump(mode="json")
        )
    return report
