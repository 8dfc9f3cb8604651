"""SLA use cases: contracts and calendars (admins), previews and statistics (staff), and
each incident's deadlines. The sla service owns all of it; the gateway checks the
request's shape, asks, and hands the answer to the JSON API and the pages alike."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from desk_contracts.enums import Locale, Priority
from desk_contracts.messages import (
    CalendarList,
    CalendarView,
    ContractList,
    ContractView,
    DeadlinePreview,
    GetIncidentSla,
    IncidentSla,
    ListCalendars,
    ListContracts,
    PreviewDeadlines,
    SlaReport,
    SlaReportView,
)
from desk_runtime.rpc import RemoteFailure, RpcClient

from ...accounts import User
from ...deps import field_error
from ..incidents.service import visible_incident
from .schemas import PreviewRequest


async def all_contracts(client: RpcClient) -> list[ContractView]:
    answer = await client.ask_as(ListContracts(limit=1000), ContractList)
    return list(answer.items)


async def all_calendars(client: RpcClient) -> list[CalendarView]:
    answer = await client.ask_as(ListCalendars(limit=1000), CalendarList)
    return list(answer.items)


async def preview_deadlines(
    client: RpcClient, user: User, contract_id: UUID, data: PreviewRequest
) -> DeadlinePreview:
    """Due times, reminders, escalations and the protocol for a registration at the
    given instant; every instant must say its offset."""
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
    return await client.ask_as(
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


async def incident_deadlines(
    client: RpcClient, user: User, incident_id: UUID, locale: Locale | None = None
) -> IncidentSla:
    """The incident's deadlines in the reader's language; intake decides first whether
    the reader may see the incident at all (its 404 is ours)."""
    await visible_incident(client, user, incident_id)
    return await client.ask_as(
        GetIncidentSla(
            principal=user.principal, incident_id=incident_id, locale=locale or user.locale
        ),
        IncidentSla,
    )


async def deadlines_if_known(
    client: RpcClient, user: User, incident_id: UUID
) -> IncidentSla | None:
    """The deadlines of an incident already shown to the reader; None while sla has not
    computed them yet (the page says so)."""
    try:
        answer = await client.ask(
            GetIncidentSla(principal=user.principal, incident_id=incident_id, locale=user.locale)
        )
    except RemoteFailure:
        return None
    return answer if isinstance(answer, IncidentSla) else None


async def sla_report(
    client: RpcClient,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    organization_id: UUID | None = None,
    category: str | None = None,
    agent_id: UUID | None = None,
    priority: Priority | None = None,
    group_by: str = "none",
) -> SlaReportView:
    """Counts, breach rate and percentiles of incidents registered in [since, until)."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise field_error(name, "give a time zone offset, e.g. Z")
    path = tuple(part for part in (category or "").split("/") if part)
    if len(path) > 3:
        raise field_error("category", "at most three levels")
    return await client.ask_as(
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
