"""Equipment as the gateway asks for it: lists and devices in the principal's scope,
staff recording and changing devices (a serial number once per manufacturer), and the
notices logged on a device. Every change re-arms the device's notices."""

from __future__ import annotations

import asyncpg
from desk_contracts import ErrorItem
from desk_contracts.messages import (
    EQUIPMENT_FIELDS,
    CreateEquipment,
    EquipmentNotices,
    EquipmentPage,
    EquipmentTerms,
    EquipmentView,
    GetEquipment,
    ListEquipment,
    ListEquipmentNotices,
    UpdateEquipment,
    UpsertEquipment,
)
from desk_runtime.errors import Conflict, Invalid, validation_items
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork
from pydantic import ValidationError

from .. import domain, informing, store, views

handlers = Handlers()

# What an update may not clear.
REQUIRED = frozenset({"model", "manufacturer", "serial_number"})


def _duplicate(terms: EquipmentTerms) -> Conflict:
    message = f"{terms.manufacturer} {terms.serial_number} is recorded already"
    return Conflict(
        f"serial_number: {message}",
        errors=[ErrorItem(field="serial_number", message="is recorded already")],
    )


def _check(terms: EquipmentTerms) -> None:
    wrong = domain.term_problem(terms)
    if wrong is not None:
        raise Invalid.field(*wrong)


@handlers.handles(UpsertEquipment)
async def on_upsert(command: UpsertEquipment, uow: UnitOfWork) -> None:
    """A device of the demo data set: recorded once, its notices armed; one recorded
    already (perhaps changed since) is left alone, and so is a serial taken meanwhile."""
    if domain.term_problem(command.terms) is not None:
        return
    known = await store.recorded_serials(
        uow.conn, [domain.serial_key(command.terms.manufacturer, command.terms.serial_number)]
    )
    if known:
        return
    row = await store.insert_equipment(
        uow.conn, command.equipment_id, command.organization_id, command.terms
    )
    if row is not None:
        await informing.arm_device(uow.conn, row)


@handlers.answers(ListEquipment)
async def answer_list(query: ListEquipment, service: Service) -> EquipmentPage:
    """Clients: their organization's only, whatever organization they name."""
    organization_id = query.organization_id
    if not query.principal.role.is_staff:
        if query.principal.organization_id is None:
            return EquipmentPage(items=(), total=0)
        organization_id = query.principal.organization_id
    rows, total = await store.list_equipment(
        service.pool, organization_id, query.q, query.limit, query.offset, query.serial_number
    )
    today = views.today()
    return EquipmentPage(items=tuple(views.equipment_view(r, today) for r in rows), total=total)


@handlers.answers(GetEquipment)
async def answer_get(query: GetEquipment, service: Service) -> EquipmentView:
    """Its coverage as on `on` (an incident's registration date), else today."""
    return views.equipment_view(
        await views.visible_equipment(service.pool, query.principal, query.equipment_id),
        query.on,
    )


@handlers.answers(CreateEquipment)
async def answer_create(request: CreateEquipment, service: Service) -> EquipmentView:
    views.staff_only(request.principal)
    _check(request.terms)
    try:
        async with service.transaction() as uow:
            row = await store.insert_equipment(
                uow.conn, request.equipment_id, request.organization_id, request.terms
            )
            if row is None:  # a retry: the device it created
                row = await store.equipment(uow.conn, request.equipment_id)
                assert row is not None
                if row["organization_id"] != request.organization_id:
                    raise Conflict(
                        "equipment_id: names another organization's device",
                        errors=[ErrorItem(field="equipment_id", message="another device")],
                    )
                return views.equipment_view(row)
            await informing.arm_device(uow.conn, row)
    except asyncpg.UniqueViolationError:
        raise _duplicate(request.terms) from None
    return views.equipment_view(row)


@handlers.answers(UpdateEquipment)
async def answer_update(request: UpdateEquipment, service: Service) -> EquipmentView:
    views.staff_only(request.principal)
    for name in REQUIRED & set(request.fields):
        if getattr(request, name) is None:
            raise Invalid.field(name, "is required")
    try:
        async with service.transaction() as uow:
            row = await views.visible_equipment(
                uow.conn, request.principal, request.equipment_id, lock=True
            )
            values = {name: row[name] for name in EQUIPMENT_FIELDS}
            for name in request.fields:
                value = getattr(request, name)
                values[name] = "" if value is None and name in ("location", "notes") else value
            try:
                terms = EquipmentTerms.model_validate(values)
            except ValidationError as error:
                raise Invalid("invalid equipment", errors=validation_items(error)) from None
            _check(terms)
            changed = await store.update_equipment(uow.conn, request.equipment_id, terms)
            await informing.arm_device(uow.conn, changed)
    except asyncpg.UniqueViolationError:
        raise _duplicate(terms) from None
    return views.equipment_view(changed)


@handlers.answers(ListEquipmentNotices)
async def answer_notices(query: ListEquipmentNotices, service: Service) -> EquipmentNotices:
    """The notices sent about a device, newest first."""
    await views.visible_equipment(service.pool, query.principal, query.equipment_id)
    rows = await store.notices_of(service.pool, query.equipment_id)
    return EquipmentNotices(
        equipment_id=query.equipment_id, items=tuple(views.notice_view(r) for r in rows)
    )
