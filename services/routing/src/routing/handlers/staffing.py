"""Staffing (SPEC §15): the facts routing keeps from intake's and sla's events, and the
answers to the heads' staffing report and waiting-clients list."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from desk_contracts import utc_now
from desk_contracts.enums import Status, Visibility
from desk_contracts.messages import (
    DeadlinesSet,
    EntryAdded,
    GetStaffing,
    IncidentRegistered,
    IncidentStatusChanged,
    ListWaitingClients,
    StaffingHourView,
    StaffingReport,
    WaitingClient,
    WaitingClients,
)
from desk_runtime.errors import NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from .. import staffing_store as store
from ..staffing import (
    arrivals_by_channel,
    hour_occurrences,
    most_understaffed,
    observed_from,
    recommend,
)

handlers = Handlers()

# The fact a reply or due time waits for: the incident's arrival in the staffing facts.
STAFFED = "staffed_incident"
# Without a measured response target, a client is answered in time within an hour.
DEFAULT_TARGET_MINUTES = 60.0


@handlers.handles(IncidentRegistered)
async def record_arrival(event: IncidentRegistered, uow: UnitOfWork) -> None:
    await store.record_arrival(
        uow.conn,
        incident_id=event.incident_id,
        channel=event.channel.value,
        organization_id=event.organization_id,
        number=event.number,
        title=event.title,
        registered_at=event.registered_at,
    )
    uow.arrived(STAFFED, event.incident_id)


async def _unknown(uow: UnitOfWork, incident_id: UUID) -> None:
    """A fact for an incident not arrived yet waits for it; one routing knew before it
    kept staffing facts has none to wait for."""
    if not await store.known_elsewhere(uow.conn, incident_id):
        raise NotYet(STAFFED, incident_id)


@handlers.handles(DeadlinesSet)
async def record_response_due(event: DeadlinesSet, uow: UnitOfWork) -> None:
    if not await store.set_response_due(uow.conn, event.incident_id, event.response_due):
        await _unknown(uow, event.incident_id)


@handlers.handles(EntryAdded)
async def record_answer(event: EntryAdded, uow: UnitOfWork) -> None:
    """A public staff reply answers the client; a public client message makes the client
    wait for one. Internal notes change nothing the client sees."""
    if event.visibility is not Visibility.PUBLIC or event.author_role is None:
        return
    if event.author_role.is_staff:
        known = await store.staff_answered(uow.conn, event.incident_id, event.created_at)
    else:
        known = await store.client_wrote(uow.conn, event.incident_id, event.created_at)
    if not known:
        await _unknown(uow, event.incident_id)


@handlers.handles(IncidentStatusChanged)
async def record_status(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    conn, incident, at = uow.conn, event.incident_id, event.changed_at
    if event.previous is Status.WAITING_ON_CLIENT:
        await store.resumed(conn, incident, at)
    if event.status is Status.WAITING_ON_CLIENT:
        await store.paused(conn, incident, at)
    elif event.status is Status.RESOLVED:
        await store.resolved(conn, incident, at)
    elif event.status is Status.REOPENED:
        await store.reopened(conn, incident, at)
    elif event.status is Status.CLOSED:
        await store.closed(conn, incident)


@handlers.answers(GetStaffing)
async def get_staffing(request: GetStaffing, service: Service) -> StaffingReport:
    zone = ZoneInfo(request.time_zone)
    end = request.until or utc_now()
    async with service.pool.acquire() as conn:
        start = observed_from(
            end - timedelta(weeks=request.weeks), await store.first_fact(conn), zone
        )
        arrivals, channels, targets = await store.arrivals(conn, start, end)
        sessions = await store.online_intervals(conn, start, end)
        concurrency = await store.mean_capacity(conn)
    within = request.answer_within_minutes or (
        statistics.median(targets) if targets else DEFAULT_TARGET_MINUTES
    )
    hours = recommend(
        arrivals,
        sessions,
        start,
        end,
        zone,
        service_level=request.service_level,
        answer_within_minutes=within,
        concurrency=concurrency,
    )
    per_channel = _channels_per_hour(channels, start, end, zone)
    return StaffingReport(
        window_start=start,
        window_end=end,
        time_zone=request.time_zone,
        service_level=request.service_level,
        answer_within_minutes=within,
        concurrency=concurrency,
        incidents=len(arrivals),
        hours=tuple(
            StaffingHourView(
                hour_of_week=h.hour_of_week,
                weekday=h.weekday,
                hour=h.hour,
                arrivals=h.arrivals,
                arrivals_by_channel=per_channel.get(h.hour_of_week, {}),
                handle_minutes=h.handle_minutes,
                online=h.online,
                needed=h.needed,
                gap=h.gap,
                responses=h.responses,
                responses_within_target=h.responses_within_target,
            )
            for h in hours
        ),
        understaffed=tuple(h.hour_of_week for h in most_understaffed(hours, limit=168)),
    )


def _channels_per_hour(
    channels: list[tuple[datetime, str]], start: datetime, end: datetime, zone: ZoneInfo
) -> dict[int, dict[str, float]]:
    """Arrivals per hour by channel, averaged over the window like the totals."""
    seen = hour_occurrences(start, end, zone)
    table = arrivals_by_channel(channels, zone)
    return {
        hour: {channel: count / seen[hour] for channel, count in counts.items()}
        for hour, counts in table.items()
        if seen.get(hour)
    }


@handlers.answers(ListWaitingClients)
async def list_waiting_clients(request: ListWaitingClients, service: Service) -> WaitingClients:
    async with service.pool.acquire() as conn:
        rows, total = await store.waiting_clients(
            conn, utc_now(), DEFAULT_TARGET_MINUTES, request.limit
        )
    return WaitingClients(
        items=tuple(
            WaitingClient(
                incident_id=row["incident_id"],
                number=row["number"],
                title=row["title"],
                organization_id=row["organization_id"],
                assignee_id=row["agent_id"],
                waiting_since=row["client_waiting_since"],
                waited_minutes=float(row["waited_minutes"]),
                target_minutes=float(row["target_minutes"]),
            )
            for row in rows
        ),
        total=total,
    )
