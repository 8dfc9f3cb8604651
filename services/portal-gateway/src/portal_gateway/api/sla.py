"""SLA: contracts and calendars (admins), previews and statistics (staff), and each
incident's deadlines with their protocol (anyone who may see the incident). The sla
service owns all of it; the gateway checks who asks and translates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from desk_contracts.enums import Locale, Priority
from desk_contracts.messages import (
    MAX_VERSION,
    CalendarList,
    CalendarSpec,
    CalendarView,
    ContractList,
    ContractSpec,
    ContractView,
    DeadlinePreview,
    GetCalendar,
    GetContract,
    GetIncident,
    GetIncidentSla,
    IncidentSla,
    ListCalendars,
    ListContracts,
    PreviewDeadlines,
    SaveCalendar,
    SaveContract,
    SlaReport,
    SlaReportView,
)
from desk_runtime.rpc import RpcClient
from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from ..accounts import User
from .deps import Limit, Offset, current_user, field_error, require_admin, require_staff, rpc
from .sla_schemas import PreviewRequest


class CalendarController(Controller):
    path = "/api/v1/calendars"
    tags = ["sla"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listCalendars")
    async def list_calendars(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> CalendarList:
        require_admin(user)
        answer = await client.ask_as(ListCalendars(limit=limit, offset=offset), CalendarList)
        return answer

    @post("/", operation_id="createCalendar", status_code=201)
    async def create_calendar(
        self, data: CalendarSpec, user: User, client: RpcClient
    ) -> CalendarView:
        """Time zone, weekly working hours (several windows a day), holidays, or 24/7."""
        require_admin(user)
        answer = await client.ask_as(SaveCalendar(calendar=data), CalendarView)
        return answer

    @get("/{calendar_id:uuid}", operation_id="getCalendar")
    async def get_calendar(self, calendar_id: UUID, user: User, client: RpcClient) -> CalendarView:
        require_admin(user)
        answer = await client.ask_as(GetCalendar(calendar_id=calendar_id), CalendarView)
        return answer

    @put("/{calendar_id:uuid}", operation_id="replaceCalendar")
    async def replace_calendar(
        self, calendar_id: UUID, data: CalendarSpec, user: User, client: RpcClient
    ) -> CalendarView:
        """New hours apply to incidents registered from now on; earlier ones keep theirs."""
        require_admin(user)
        answer = await client.ask_as(
            SaveCalendar(calendar_id=calendar_id, calendar=data), CalendarView
        )
        return answer


class ContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["sla"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listContracts")
    async def list_contracts(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> ContractList:
        """The latest version of every contract."""
        require_admin(user)
        answer = await client.ask_as(ListContracts(limit=limit, offset=offset), ContractList)
        return answer

    @post("/", operation_id="createContract", status_code=201)
    async def create_contract(
        self, data: ContractSpec, user: User, client: RpcClient
    ) -> ContractView:
        """Targets per (category subtree, priority), escalation ladder, channel quotas."""
        require_admin(user)
        answer = await client.ask_as(SaveContract(contract=data), ContractView)
        return answer

    @get("/{contract_id:uuid}", operation_id="getContract")
    async def get_contract(
        self,
        contract_id: UUID,
        user: User,
        client: RpcClient,
        version: Annotated[int | None, Parameter(ge=1, le=MAX_VERSION)] = None,
    ) -> ContractView:
        require_admin(user)
        answer = await client.ask_as(
            GetContract(contract_id=contract_id, version=version), ContractView
        )
        return answer

    @put("/{contract_id:uuid}", operation_id="reviseContract")
    async def revise_contract(
        self, contract_id: UUID, data: ContractSpec, user: User, client: RpcClient
    ) -> ContractView:
        """Adds the next version; incidents keep the version they were registered under."""
        require_admin(user)
        answer = await client.ask_as(
            SaveContract(contract_id=contract_id, contract=data), ContractView
        )
        return answer

    @post("/{contract_id:uuid}/preview", operation_id="previewDeadlines", status_code=200)
    async def preview(
        self, contract_id: UUID, data: PreviewRequest, user: User, client: RpcClient
    ) -> DeadlinePreview:
        """Due times, reminders, escalations and the protocol for a registration at the
        given instant; computes, stores nothing."""
        require_staff(user)
        for name, value in (("registered_at", data.registered_at), ("now", data.now)):
            if value is not None and value.tzinfo is None:
                raise field_error(name, "give a time zone offset, e.g. +03:00 or Z")
        for index, pause in enumerate(data.pauses):
            if pause.started_at.tzinfo is None or (
                pause.ended_at is not None and pause.ended_at.tzinfo is None
            ):
                raise field_error(f"pauses.{index}", "give a time zone offset, e.g. Z")
            if pause.ended_at is not None and pause.ended_at < pause.started_at:
                raise field_error(f"pauses.{index}.ended_at", "must not be before started_at")
        answer = await client.ask_as(
            PreviewDeadlines(
                contract_id=contract_id,
                version=data.version,
                registered_at=data.registered_at,
                category_path=tuple(data.category_path),
                priority=data.priority,
                pauses=tuple(data.pauses),
                now=data.now,
                locale=data.locale or user.locale,
            ),
            DeadlinePreview,
        )
        return answer


class IncidentSlaController(Controller):
    path = "/api/v1/incidents/{incident_id:uuid}/sla"
    tags = ["incidents", "sla"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="getIncidentSla")
    async def incident_sla(
        self, incident_id: UUID, user: User, client: RpcClient, locale: Locale | None = None
    ) -> IncidentSla:
        """Due times, clocks, pauses and the protocol in the reader's language; 404
        outside the reader's scope. Staff also see the escalation plan and timers."""
        # Intake decides who may see the incident; its 404 is ours.
        await client.ask(GetIncident(principal=user.principal, incident_id=incident_id))
        answer = await client.ask_as(
            GetIncidentSla(
                incident_id=incident_id,
                locale=locale or user.locale,
                staff=user.role.is_staff,
            ),
            IncidentSla,
        )
        return answer


class SlaReportController(Controller):
    path = "/api/v1/reports/sla"
    tags = ["sla", "reports"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="slaReport")
    async def report(
        self,
        user: User,
        client: RpcClient,
        since: datetime | None = None,
        until: datetime | None = None,
        organization_id: UUID | None = None,
        category: Annotated[str | None, Parameter(description="path of codes, a/b/c")] = None,
        agent_id: UUID | None = None,
        priority: Priority | None = None,
        group_by: Annotated[
            str,
            Parameter(pattern="^(none|organization|category|agent|priority|day|week|month)$"),
        ] = "none",
    ) -> SlaReportView:
        """Incidents registered in [since, until): counts, breach rate, median and 90th
        percentile of response and resolution (business seconds), client-caused delay."""
        require_staff(user)
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise field_error(name, "give a time zone offset, e.g. Z")
        path = tuple(part for part in (category or "").split("/") if part)
        if len(path) > 3:
            raise field_error("category", "at most three levels")
        answer = await client.ask_as(
            SlaReport(
                since=since,
                until=until,
                organization_id=organization_id,
                category_path=path,
                agent_id=agent_id,
                priority=priority,
                group_by=group_by,
            ),
            SlaReportView,
        )
        return answer


SLA_CONTROLLERS = [
    CalendarController,
    ContractController,
    IncidentSlaController,
    SlaReportController,
]
