"""Equipment use cases, for the API and the portal alike: lists and devices in the
reader's scope (assets enforces it at the source: another organization's device is
"not found"), staff recording and changing devices, a device's notices, an
organization's lead times and imports. Assets' refusals reach the reader in the
reader's language."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg
from desk_contracts.messages import (
    CreateEquipment,
    EquipmentNotices,
    EquipmentTerms,
    EquipmentView,
    GetEquipment,
    GetLeadTimes,
    ImportEquipment,
    ImportReport,
    IncidentEquipment,
    LeadTimes,
    ListEquipment,
    ListEquipmentNotices,
    SetLeadTimes,
    UpdateEquipment,
)
from desk_contracts.messages import EquipmentPage as EquipmentPageView
from desk_runtime.rpc import RemoteFailure, RpcClient
from litestar.exceptions import HTTPException, NotFoundException

from ...accounts import User
from ...deps import field_error
from ..accounts.service import organization_names_of
from .imports import Malformed, read_csv
from .schemas import (
    AcceptedRow,
    Equipment,
    EquipmentPage,
    EquipmentPatch,
    ImportResult,
    LeadTimesBody,
    LeadTimesOut,
    NewEquipment,
    Notice,
    Notices,
    RejectedRow,
)

Translate = Callable[..., str]

NOTICE_NAMES = {
    "warranty_end": "warranty ends",
    "contract_end": "service contract ends",
    "maintenance_due": "maintenance due",
}


@contextlib.contextmanager
def in_words_of(t: Translate) -> Iterator[None]:
    """Assets' refusals (a serial number recorded already, a date before the
    installation, another organization's device) in the reader's language."""
    try:
        yield
    except RemoteFailure as error:
        failure = error.failure
        if failure.status >= 500:
            raise
        items = [{"key": e.field, "message": t(e.message)} for e in failure.errors]
        detail = "; ".join(f"{i['key']}: {i['message']}" for i in items) or t(failure.detail)
        raise HTTPException(status_code=failure.status, detail=detail, extra=items) from None


def equipment_out(view: EquipmentView, names: dict[UUID, str]) -> Equipment:
    data = view.model_dump(exclude={"equipment_id"})
    return Equipment(
        id=view.equipment_id, organization_name=names.get(view.organization_id), **data
    )


async def find_equipment(
    client: RpcClient,
    pool: asyncpg.Pool,
    user: User,
    *,
    organization_id: UUID | None,
    q: str | None,
    limit: int,
    offset: int,
) -> EquipmentPage:
    page = await client.ask_as(
        ListEquipment(
            principal=user.principal,
            organization_id=organization_id,
            q=q,
            limit=limit,
            offset=offset,
        ),
        EquipmentPageView,
    )
    names = await organization_names_of(pool, {item.organization_id for item in page.items})
    return EquipmentPage(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[equipment_out(item, names) for item in page.items],
    )


async def device(
    client: RpcClient, pool: asyncpg.Pool, user: User, equipment_id: UUID, t: Translate
) -> Equipment:
    with in_words_of(t):
        view = await client.ask_as(
            GetEquipment(principal=user.principal, equipment_id=equipment_id), EquipmentView
        )
    return equipment_out(view, await organization_names_of(pool, {view.organization_id}))


async def record(
    client: RpcClient,
    pool: asyncpg.Pool,
    user: User,
    data: NewEquipment,
    equipment_id: UUID,
    t: Translate,
) -> Equipment:
    """Staff record a device of an organization the gateway knows."""
    names = await organization_names_of(pool, {data.organization_id})
    if data.organization_id not in names:
        raise field_error("organization_id", t("no such organization"))
    terms = EquipmentTerms.model_validate(data.model_dump(exclude={"organization_id"}))
    with in_words_of(t):
        view = await client.ask_as(
            CreateEquipment(
                principal=user.principal,
                equipment_id=equipment_id,
                organization_id=data.organization_id,
                terms=terms,
            ),
            EquipmentView,
        )
    return equipment_out(view, names)


async def change(
    client: RpcClient,
    pool: asyncpg.Pool,
    user: User,
    equipment_id: UUID,
    data: EquipmentPatch,
    t: Translate,
) -> Equipment:
    """Only the fields sent; model, manufacturer and serial number cannot be cleared."""
    sent = data.model_fields_set
    for name in ("model", "manufacturer", "serial_number"):
        if name in sent and getattr(data, name) is None:
            raise field_error(name, t("is required"))
    with in_words_of(t):
        view = await client.ask_as(
            UpdateEquipment(
                principal=user.principal,
                equipment_id=equipment_id,
                fields=tuple(sorted(sent)),
                **data.model_dump(include=sent),
            ),
            EquipmentView,
        )
    return equipment_out(view, await organization_names_of(pool, {view.organization_id}))


async def notices(client: RpcClient, user: User, equipment_id: UUID, t: Translate) -> Notices:
    with in_words_of(t):
        found = await client.ask_as(
            ListEquipmentNotices(principal=user.principal, equipment_id=equipment_id),
            EquipmentNotices,
        )
    return Notices(
        equipment_id=found.equipment_id,
        items=[
            Notice(
                id=n.notice_id,
                kind=n.kind,
                kind_name=t(NOTICE_NAMES.get(n.kind, n.kind)),
                due_on=n.due_on,
                days_left=n.days_left,
                noticed_at=n.noticed_at,
            )
            for n in found.items
        ],
    )


async def known_organization(pool: asyncpg.Pool, organization_id: UUID, t: Translate) -> str:
    names = await organization_names_of(pool, {organization_id})
    if organization_id not in names:
        raise NotFoundException(t("no such organization"))
    return names[organization_id]


def lead_times_out(lead: LeadTimes) -> LeadTimesOut:
    return LeadTimesOut.model_validate(lead.model_dump())


async def lead_times(
    client: RpcClient, pool: asyncpg.Pool, organization_id: UUID, t: Translate
) -> LeadTimesOut:
    await known_organization(pool, organization_id, t)
    return lead_times_out(
        await client.ask_as(GetLeadTimes(organization_id=organization_id), LeadTimes)
    )


async def set_lead_times(
    client: RpcClient,
    pool: asyncpg.Pool,
    user: User,
    organization_id: UUID,
    data: LeadTimesBody,
    t: Translate,
) -> LeadTimesOut:
    await known_organization(pool, organization_id, t)
    with in_words_of(t):
        lead = await client.ask_as(
            SetLeadTimes(
                principal=user.principal, organization_id=organization_id, **data.model_dump()
            ),
            LeadTimes,
        )
    return lead_times_out(lead)


def import_key(user_id: UUID, key: UUID | None) -> UUID:
    """An import's id: from the Idempotency-Key (or the form's key), mixed with the
    user, so a retried upload records its rows once; a fresh one without a key."""
    if key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"equipment-import:{user_id}:{key}")


async def import_list(
    client: RpcClient,
    pool: asyncpg.Pool,
    user: User,
    organization_id: UUID,
    data: bytes,
    import_id: UUID,
    t: Translate,
) -> ImportResult:
    """The valid rows recorded for the organization, the others reported with the
    column and the reason in the reader's language; a malformed file is refused
    whole (422 naming `file`) before anything is asked."""
    names = await organization_names_of(pool, {organization_id})
    if organization_id not in names:
        raise field_error("organization_id", t("no such organization"))
    try:
        read = read_csv(data)
    except Malformed as malformed:
        raise field_error(
            "file",
            f"{t('the file is malformed; nothing was imported')}: "
            f"{t(malformed.reason, **malformed.values)}",
        ) from None
    report = ImportReport(accepted=(), rejected=())
    if read.rows:
        with in_words_of(t):
            report = await client.ask_as(
                ImportEquipment(
                    principal=user.principal,
                    import_id=import_id,
                    organization_id=organization_id,
                    rows=tuple(read.rows),
                ),
                ImportReport,
            )
    rejected = sorted([*read.rejected, *report.rejected], key=lambda r: r.line)
    return ImportResult(
        organization_id=organization_id,
        accepted=[
            AcceptedRow(line=a.line, id=a.equipment_id, serial_number=a.serial_number)
            for a in report.accepted
        ],
        rejected=[
            RejectedRow(line=r.line, field=r.field, reason=t(r.reason, **r.values))
            for r in rejected
        ],
    )


async def device_for_incident(
    client: RpcClient,
    user: User,
    organization_id: UUID,
    *,
    equipment_id: UUID | None,
    serial_number: str | None,
    t: Translate,
) -> IncidentEquipment:
    """The device an incident being filed names (by id, else by serial number among the
    organization's), with whether it is under warranty and a service contract today,
    the registration date; 422 naming the field when it is none of the organization's."""
    today = datetime.now(UTC).date()
    if equipment_id is not None:
        field = "equipment_id"
        try:
            view = await client.ask_as(
                GetEquipment(principal=user.principal, equipment_id=equipment_id, on=today),
                EquipmentView,
            )
        except RemoteFailure as error:
            if error.failure.status == 404:
                raise field_error(field, t("no such equipment")) from None
            raise
    else:
        field = "equipment_serial"
        serial = (serial_number or "").strip().upper()
        if not serial:
            raise field_error(field, t("is required"))
        found = await client.ask_as(
            ListEquipment(
                principal=user.principal,
                organization_id=organization_id,
                serial_number=serial,
                limit=2,
            ),
            EquipmentPageView,
        )
        if not found.items:
            raise field_error(field, t("no device of the organization has this serial number"))
        if len(found.items) > 1:
            raise field_error(field, t("several devices have this serial number; name it by id"))
        view = found.items[0]
    if view.organization_id != organization_id:
        raise field_error(field, t("not a device of the requester's organization"))
    return IncidentEquipment(
        equipment_id=view.equipment_id,
        manufacturer=view.manufacturer,
        model=view.model,
        serial_number=view.serial_number,
        under_warranty=view.under_warranty,
        under_service_contract=view.under_service_contract,
    )
