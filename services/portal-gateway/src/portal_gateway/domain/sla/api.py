"""SLA over the JSON API: contracts and calendars (admins), previews and statistics
(staff), and each incident's deadlines with their protocol (anyone who may see the
incident)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from desk_contracts.enums import Locale, Priority
from desk_contracts.messages import (
    MAX_VERSION,
    SLA_REPORT_GROUPS,
    CalendarList,
    CalendarSpec,
    CalendarView,
    ContractList,
    ContractSpec,
    ContractView,
    DeadlinePreview,
    GetCalendar,
    GetContract,
    IncidentSla,
    ListCalendars,
    ListContracts,
    SaveCalendar,
    SaveContract,
    SlaReportView,
)
from desk_runtime.rpc import RpcClient
from litestar import Controller, get, post, put
from litestar.params import Parameter

from ...accounts import User
from ...deps import Limit, Offset
from ...guards import admins_only, signed_in, staff_only
from .schemas import PreviewRequest
from .service import incident_deadlines, preview_deadlines, sla_report


class CalendarController(Controller):
    path = "/api/v1/calendars"
    tags = ["sla"]
    guards = [signed_in, admins_only]

    @get("/", operation_id="listCalendars")
    async def list_calendars(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> CalendarList:
        answer = await client.ask_as(ListCalendars(limit=limit, offset=offset), CalendarList)
        return answer

    @post("/", operation_id="createCalendar", status_code=201)
    async def create_calendar(
        self, data: CalendarSpec, user: User, client: RpcClient
    ) -> CalendarView:
        """Time zone, weekly working hours (several windows a day), holidays, or 24/7."""
        answer = await client.ask_as(SaveCalendar(calendar=data), CalendarView)
        return answer

    @get("/{calendar_id:uuid}", operation_id="getCalendar")
    async def get_calendar(self, calendar_id: UUID, user: User, client: RpcClient) -> CalendarView:
        answer = await client.ask_as(GetCalendar(calendar_id=calendar_id), CalendarView)
        return answer

    @put("/{calendar_id:uuid}", operation_id="replaceCalendar")
    async def replace_calendar(
        self, calendar_id: UUID, data: CalendarSpec, user: User, client: RpcClient
    ) -> CalendarView:
        """New hours apply to incidents registered from now on; earlier ones keep theirs."""
        answer = await client.ask_as(
            SaveCalendar(calendar_id=calendar_id, calendar=data), CalendarView
        )
        return answer


class ContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["sla"]
    guards = [signed_in]

    @get("/", operation_id="listContracts", guards=[admins_only])
    async def list_contracts(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> ContractList:
        """The latest version of every contract."""
        answer = await client.ask_as(ListContracts(limit=limit, offset=offset), ContractList)
        return answer

    @post("/", operation_id="createContract", status_code=201, guards=[admins_only])
    async def create_contract(
        self, data: ContractSpec, user: User, client: RpcClient
    ) -> ContractView:
        """Targets per (category subtree, priority), escalation ladder, channel quotas."""
        answer = await client.ask_as(SaveContract(contract=data), ContractView)
        return answer

    @get("/{contract_id:uuid}", operation_id="getContract", guards=[admins_only])
    async def get_contract(
        self,
        contract_id: UUID,
        user: User,
        client: RpcClient,
        version: Annotated[int | None, Parameter(ge=1, le=MAX_VERSION)] = None,
    ) -> ContractView:
        answer = await client.ask_as(
            GetContract(contract_id=contract_id, version=version), ContractView
        )
        return answer

    @put("/{contract_id:uuid}", operation_id="reviseContract", guards=[admins_only])
    async def revise_contract(
        self, contract_id: UUID, data: ContractSpec, user: User, client: RpcClient
    ) -> ContractView:
        """Adds the next version; incidents keep the version they were registered under."""
        answer = await client.ask_as(
            SaveContract(contract_id=contract_id, contract=data), ContractView
        )
        return answer

    @post(
        "/{contract_id:uuid}/preview",
        operation_id="previewDeadlines",
        status_code=200,
        guards=[staff_only],
    )
    async def preview(
        self, contract_id: UUID, data: PreviewRequest, user: User, client: RpcClient
    ) -> DeadlinePreview:
        """Due times, reminders, escalations and the protocol for a registration at the
        given instant; computes, stores nothing."""
        return await preview_deadlines(client, user, contract_id, data)


class IncidentSlaController(Controller):
    path = "/api/v1/incidents/{incident_id:uuid}/sla"
    tags = ["incidents", "sla"]
    guards = [signed_in]

    @get("/", operation_id="getIncidentSla")
    async def incident_sla(
        self, incident_id: UUID, user: User, client: RpcClient, locale: Locale | None = None
    ) -> IncidentSla:
        """Due times, clocks, pauses and the protocol in the reader's language; 404
        outside the reader's scope. Staff also see the escalation plan and timers."""
        return await incident_deadlines(client, user, incident_id, locale)


class SlaReportController(Controller):
    path = "/api/v1/reports/sla"
    tags = ["sla", "reports"]
    guards = [signed_in]

    @get("/", operation_id="slaReport", guards=[staff_only])
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
            Parameter(pattern="^(" + "|".join(SLA_REPORT_GROUPS) + ")$"),
        ] = "none",
    ) -> SlaReportView:
        """Incidents registered in [since, until): counts, breach rate, median and 90th
        percentile of response and resolution (business seconds), client-caused delay,
        and satisfaction (mean rating and count); grouped also by channel or package."""
        return await sla_report(
            client,
            since=since,
            until=until,
            organization_id=organization_id,
            category=category,
            agent_id=agent_id,
            priority=priority,
            group_by=group_by,
        )


SLA_CONTROLLERS = [
    CalendarController,
    ContractController,
    IncidentSlaController,
    SlaReportController,
]
