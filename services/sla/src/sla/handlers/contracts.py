"""Contracts and calendars: administered over request/reply, previewed, and which one
each organization's incidents are registered under."""

from __future__ import annotations

from desk_contracts import utc_now
from desk_contracts.messages import (
    CalendarList,
    CalendarView,
    ContractList,
    ContractView,
    DeadlinePreview,
    GetCalendar,
    GetContract,
    ListCalendars,
    ListContracts,
    OrganizationUpserted,
    PreviewDeadlines,
    SaveCalendar,
    SaveContract,
    SeedPackage,
)
from desk_runtime.errors import Invalid, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from .. import clocks, views
from ..contracts import (
    calendar_view,
    contract_version,
    contract_view,
    save_calendar,
    save_contract,
    seed_package,
    version_from_row,
)
from ..domain import Pause, render_protocol
from ..store import contracts as store

handlers = Handlers()


@handlers.handles(OrganizationUpserted)
async def on_organization(event: OrganizationUpserted, uow: UnitOfWork) -> None:
    """Which contract an organization's new incidents are registered under."""
    await store.set_organization_contract(uow.conn, event.organization_id, event.contract_id)


@handlers.handles(SeedPackage)
async def on_seed_package(command: SeedPackage, uow: UnitOfWork) -> None:
    """The demo's package and its calendars, each once: an existing one is left as it
    is (an admin may have changed it since)."""
    await seed_package(uow.conn, command)


@handlers.answers(SaveCalendar)
async def answer_save_calendar(request: SaveCalendar, service: Service) -> CalendarView:
    """Creates or replaces a business calendar."""
    async with service.transaction() as uow:
        return await save_calendar(uow.conn, request.calendar_id, request.calendar)


@handlers.answers(GetCalendar)
async def answer_get_calendar(request: GetCalendar, service: Service) -> CalendarView:
    row = await store.calendar(service.pool, request.calendar_id)
    if row is None:
        raise NotFound("calendar not found")
    return calendar_view(row)


@handlers.answers(ListCalendars)
async def answer_list_calendars(request: ListCalendars, service: Service) -> CalendarList:
    rows, total = await store.calendars_page(service.pool, request.limit, request.offset)
    return CalendarList(items=tuple(calendar_view(row) for row in rows), total=total)


@handlers.answers(SaveContract)
async def answer_save_contract(request: SaveContract, service: Service) -> ContractView:
    """Creates a contract or adds its next version."""
    async with service.transaction() as uow:
        return await save_contract(uow.conn, request.contract_id, request.contract)


@handlers.answers(GetContract)
async def answer_get_contract(request: GetContract, service: Service) -> ContractView:
    return contract_view(await contract_version(service.pool, request.contract_id, request.version))


@handlers.answers(ListContracts)
async def answer_list_contracts(request: ListContracts, service: Service) -> ContractList:
    rows, total = await store.latest_versions(service.pool, request.limit, request.offset)
    return ContractList(items=tuple(contract_view(row) for row in rows), total=total)


@handlers.answers(PreviewDeadlines)
async def answer_preview(request: PreviewDeadlines, service: Service) -> DeadlinePreview:
    """Computes what registration at the given instant would yield; stores nothing."""
    contract = version_from_row(
        await contract_version(service.pool, request.contract_id, request.version)
    )
    try:
        pauses = tuple(
            Pause(views.aware(p.started_at, "pauses"), views.aware_or_none(p.ended_at))
            for p in request.pauses
        )
    except ValueError as error:
        raise Invalid.field("pauses", str(error)) from None
    registered = views.aware(request.registered_at, "registered_at")
    now = views.aware(request.now, "now") if request.now else utc_now()
    try:
        result = clocks.compute(
            contract,
            contract.calendar,
            registered,
            request.category_path,
            request.priority,
            pauses,
            now,
        )
    except LookupError as error:
        raise Invalid.field("category_path", str(error)) from None
    deadlines = result.deadlines
    return DeadlinePreview(
        contract_id=contract.contract_id,
        contract_version=contract.version,
        contract_name=contract.name,
        time_zone=contract.calendar.time_zone,
        registered_at=registered,
        response_due=deadlines.response_due,
        resolution_due=deadlines.resolution_due,
        response_reminder_at=deadlines.response_reminder_at,
        resolution_reminder_at=deadlines.reminder_at,
        escalations=views.escalations(result),
        client_delay_seconds=deadlines.client_delay.total_seconds(),
        steps=tuple(views.step_view(step) for step in deadlines.steps),
        protocol=tuple(
            render_protocol(deadlines.steps, request.locale, contract.calendar.time_zone)
        ),
    )
