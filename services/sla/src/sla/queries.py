"""What sla answers over request/reply: contract and calendar administration, previews,
an incident's deadlines with their protocol, and the statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Priority
from desk_contracts.messages import (
    CalendarList,
    CalendarView,
    ClockView,
    ComputationView,
    ContractList,
    ContractView,
    DeadlinePreview,
    EscalationDue,
    GetCalendar,
    GetContract,
    GetIncidentSla,
    IncidentSla,
    ListCalendars,
    ListContracts,
    PauseView,
    PreviewDeadlines,
    ProtocolStepView,
    SaveCalendar,
    SaveContract,
    SlaReport,
    SlaReportRow,
    SlaReportView,
    TimerView,
)
from desk_runtime.errors import Invalid, NotFound
from desk_runtime.service import Service
from desk_runtime.timers import timers_of

from . import clocks
from .contracts import (
    calendar_view,
    contract_version,
    contract_view,
    save_calendar,
    save_contract,
    version_from_row,
)
from .domain import (
    CalendarError,
    Pause,
    ProtocolStep,
    WorkingCalendar,
    parse_iso_duration,
    render_protocol,
)


def register(service: Service) -> None:
    @service.answers(SaveCalendar)
    async def answer_save_calendar(query: SaveCalendar, service: Service) -> CalendarView:
        """Creates or replaces a business calendar."""
        async with service.transaction() as uow:
            return await save_calendar(uow.conn, query.calendar_id, query.calendar)

    @service.answers(GetCalendar)
    async def answer_get_calendar(query: GetCalendar, service: Service) -> CalendarView:
        row = await service.pool.fetchrow(
            "SELECT * FROM calendars WHERE id = $1", query.calendar_id
        )
        if row is None:
            raise NotFound("calendar not found")
        return calendar_view(row)

    @service.answers(ListCalendars)
    async def answer_list_calendars(query: ListCalendars, service: Service) -> CalendarList:
        rows = await service.pool.fetch(
            "SELECT *, count(*) OVER () AS total FROM calendars ORDER BY name, id "
            "LIMIT $1 OFFSET $2",
            query.limit,
            query.offset,
        )
        total = (
            rows[0]["total"]
            if rows
            else await service.pool.fetchval("SELECT count(*) FROM calendars")
        )
        return CalendarList(items=tuple(calendar_view(row) for row in rows), total=total)

    @service.answers(SaveContract)
    async def answer_save_contract(query: SaveContract, service: Service) -> ContractView:
        """Creates a contract or adds its next version."""
        async with service.transaction() as uow:
            return await save_contract(uow.conn, query.contract_id, query.contract)

    @service.answers(GetContract)
    async def answer_get_contract(query: GetContract, service: Service) -> ContractView:
        return contract_view(await contract_version(service.pool, query.contract_id, query.version))

    @service.answers(ListContracts)
    async def answer_list_contracts(query: ListContracts, service: Service) -> ContractList:
        rows = await service.pool.fetch(
            f"""
            SELECT * FROM (
                SELECT DISTINCT ON (c.id) {_CONTRACT_COLUMNS}
                FROM contracts c JOIN calendars cal ON cal.id = c.calendar_id
                ORDER BY c.id, c.version DESC
            ) latest ORDER BY name, id LIMIT $1 OFFSET $2
            """,
            query.limit,
            query.offset,
        )
        total = await service.pool.fetchval("SELECT count(DISTINCT id) FROM contracts")
        return ContractList(items=tuple(contract_view(row) for row in rows), total=total)

    @service.answers(PreviewDeadlines)
    async def answer_preview(query: PreviewDeadlines, service: Service) -> DeadlinePreview:
        """Computes what registration at the given instant would yield; stores nothing."""
        contract = version_from_row(
            await contract_version(service.pool, query.contract_id, query.version)
        )
        try:
            pauses = tuple(
                Pause(_aware(p.started_at, "pauses"), _aware_or_none(p.ended_at))
                for p in query.pauses
            )
        except ValueError as error:
            raise Invalid.field("pauses", str(error)) from None
        registered = _aware(query.registered_at, "registered_at")
        now = _aware(query.now, "now") if query.now else utc_now()
        try:
            result = clocks.compute(
                contract,
                contract.calendar,
                registered,
                query.category_path,
                query.priority,
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
            escalations=_escalations(result),
            client_delay_seconds=deadlines.client_delay.total_seconds(),
            steps=tuple(_step_view(step) for step in deadlines.steps),
            protocol=tuple(
                render_protocol(deadlines.steps, query.locale, contract.calendar.time_zone)
            ),
        )

    @service.answers(GetIncidentSla)
    async def answer_incident_sla(query: GetIncidentSla, service: Service) -> IncidentSla:
        """Due times, clocks, pauses and the protocol of one incident."""
        # One snapshot: the clocks, the timers and the pauses as one moment saw them (a
        # timer read as fired beside a clock not yet marked breached confused readers).
        async with (
            service.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await incident_sla(conn, query)

    @service.answers(SlaReport)
    async def answer_report(query: SlaReport, service: Service) -> SlaReportView:
        """Counts, breach rate, median and 90th percentile, client-caused delay."""
        return await report(service.pool, query)


_CONTRACT_COLUMNS = """
    c.id, c.version, c.name, c.calendar_id, c.rules, c.escalation, c.quotas, c.is_default,
    c.created_at, cal.name AS calendar_name, cal.time_zone, cal.always_open,
    cal.weekly_hours, cal.holidays
"""


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise Invalid.field(field, "give a time zone offset (e.g. 2026-03-09T09:00:00+03:00)")
    return value


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value, "pauses")


def _step_view(step: ProtocolStep) -> ProtocolStepView:
    return ProtocolStepView(code=step.code, params=dict(step.params))


def _escalations(result: clocks.Computation) -> tuple[EscalationDue, ...]:
    return tuple(
        EscalationDue(
            level=due.step.level,
            notify=due.step.notify,
            reassign=due.step.reassign,
            due_at=due.due_at,
        )
        for due in result.ladder
    )


def _step_param(steps: list[ProtocolStep], code: str, key: str) -> timedelta:
    for step in steps:
        if step.code == code and key in step.params:
            try:
                return parse_iso_duration(step.params[key])
            except ValueError:
                break
    return timedelta(0)


async def incident_sla(conn: asyncpg.Connection, query: GetIncidentSla) -> IncidentSla:
    row = await conn.fetchrow(
        "SELECT * FROM incident_clocks WHERE incident_id = $1", query.incident_id
    )
    if row is None:
        raise NotFound("no deadlines for this incident yet; try again shortly")
    now = utc_now()
    result = await clocks.computation_for(conn, row, now)
    calendar = result.calendar
    steps = [ProtocolStep.from_dict(raw) for raw in row["protocol"]]
    paused_now = any(p.ended_at is None for p in result.pauses)
    stopped = row["status"] in clocks.STOPPED

    def clock_view(
        name: str,
        due: datetime,
        actual: datetime | None,
        breached: datetime | None,
        reminder: datetime | None,
        halted: bool,
        target_seconds: float | None = None,
    ) -> ClockView:
        if actual is not None:
            state = "breached" if breached is not None or actual > due else "met"
        elif breached is not None:
            state = "breached"
        elif halted:
            state = "stopped"
        elif paused_now:
            state = "paused"
        else:
            state = "running"
        return ClockView(
            clock=name,
            state=state,
            target_seconds=(
                target_seconds
                if target_seconds is not None
                else _step_param(steps, "rule", name).total_seconds()
            ),
            due_at=due,
            actual_at=actual,
            difference_seconds=(
                clocks.signed_business(calendar, due, actual).total_seconds()
                if actual is not None
                else None
            ),
            paused_seconds=_step_param(steps, f"{name}_due", "paused").total_seconds(),
            breached_at=breached,
            reminder_at=reminder,
        )

    # The next reply: the one a client waits for now, else the last one answered.
    replies: tuple[ClockView, ...] = ()
    if row["next_reply_started_at"] is not None:
        replies = (
            clock_view(
                "next_reply",
                row["next_reply_due"],
                None,
                row["next_reply_breached_at"],
                None,
                stopped,
                row["next_reply_target_seconds"],
            ),
        )
    else:
        answered = await conn.fetchrow(
            "SELECT * FROM reply_clocks WHERE incident_id = $1 ORDER BY started_at DESC LIMIT 1",
            query.incident_id,
        )
        if answered is not None:
            replies = (
                clock_view(
                    "next_reply",
                    answered["due_at"],
                    answered["answered_at"],
                    answered["breached_at"],
                    None,
                    stopped,
                    answered["target_seconds"],
                ),
            )
    pauses = await conn.fetch(
        "SELECT kind, started_at, ended_at FROM incident_pauses WHERE incident_id = $1 "
        "ORDER BY started_at, id",
        query.incident_id,
    )
    staff_only: dict[str, object] = {}
    if query.staff:
        incident_timers = await timers_of(conn, str(query.incident_id))
        computation_rows = await conn.fetch(
            "SELECT reason, computed_at FROM computations WHERE incident_id = $1 ORDER BY id",
            query.incident_id,
        )
        staff_only = {
            "escalations": _escalations(result),
            "timers": tuple(
                TimerView(kind=t.kind, due_at=t.due_at, state=t.state, fired_at=t.fired_at)
                for t in incident_timers
            ),
            "computations": tuple(ComputationView(**dict(c)) for c in computation_rows),
        }
    return IncidentSla(
        incident_id=row["incident_id"],
        contract_id=row["contract_id"],
        contract_name=result.contract.name,
        contract_version=row["contract_version"],
        time_zone=calendar.time_zone,
        status=row["status"],
        registered_at=row["registered_at"],
        category_path=tuple(row["category_path"]),
        priority=Priority(row["priority"]),
        response_due=row["response_due"],
        resolution_due=row["resolution_due"],
        client_delay_seconds=row["client_delay_seconds"],
        reopen_count=row["reopen_count"],
        clocks=(
            clock_view(
                "response",
                row["response_due"],
                row["first_response_at"],
                row["response_breached_at"],
                row["response_reminder_at"],
                stopped,
            ),
            *replies,
            clock_view(
                "resolution",
                row["resolution_due"],
                row["resolved_at"],
                row["resolution_breached_at"],
                row["reminder_at"],
                row["status"] == "closed",
            ),
        ),
        pauses=tuple(
            PauseView(
                kind=p["kind"],
                started_at=p["started_at"],
                ended_at=p["ended_at"],
                business_seconds=_business(calendar, p["started_at"], p["ended_at"] or now),
            )
            for p in pauses
        ),
        steps=tuple(_step_view(step) for step in steps),
        protocol=tuple(render_protocol(steps, query.locale, calendar.time_zone)),
        **staff_only,
    )


def _business(calendar: WorkingCalendar, start: datetime, end: datetime) -> float:
    try:
        return calendar.between(start, end).total_seconds()
    except CalendarError:
        return 0.0


# --- statistics ---------------------------------------------------------------------

_GROUP_KEYS = {
    "none": "'all'",
    "organization": "organization_id::text",
    "category": "array_to_string(category_path, '/')",
    "agent": "coalesce(assignee_id::text, 'unassigned')",
    "priority": "priority",
    "day": "to_char(date_trunc('day', registered_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', registered_at AT TIME ZONE 'UTC'), 'IYYY-\"W\"IW')",
    "month": "to_char(date_trunc('month', registered_at AT TIME ZONE 'UTC'), 'YYYY-MM')",
}

_AGGREGATES = """
    count(*) AS incidents,
    count(first_response_at) AS responded,
    count(resolved_at) AS resolved,
    count(response_breached_at) AS response_breaches,
    count(resolution_breached_at) AS resolution_breaches,
    count(*) FILTER (WHERE response_breached_at IS NOT NULL
                        OR resolution_breached_at IS NOT NULL) AS breached,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY response_business_seconds) AS response_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY response_business_seconds) AS response_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_business_seconds)
        AS resolution_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_business_seconds) AS resolution_p90,
    coalesce(sum(client_delay_seconds), 0) AS client_delay,
    coalesce(sum(reopen_count), 0) AS reopens,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY target.response) AS response_target_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY target.resolution) AS resolution_target_median
"""

# The targets each incident is measured by, from the rule step of its protocol (ISO 8601
# durations, which PostgreSQL reads as intervals).
_TARGETS = """
    incident_clocks LEFT JOIN LATERAL (
        SELECT extract(epoch FROM (step->'params'->>'response')::interval)::float8 AS response,
               extract(epoch FROM (step->'params'->>'resolution')::interval)::float8
                   AS resolution
        FROM jsonb_array_elements(protocol) AS step
        WHERE step->>'code' = 'rule'
        LIMIT 1
    ) AS target ON true
"""


def _report_row(key: str, row: asyncpg.Record) -> SlaReportRow:
    incidents = row["incidents"]
    return SlaReportRow(
        key=key,
        incidents=incidents,
        responded=row["responded"],
        resolved=row["resolved"],
        response_breaches=row["response_breaches"],
        resolution_breaches=row["resolution_breaches"],
        breached=row["breached"],
        breach_rate=round(row["breached"] / incidents, 4) if incidents else 0.0,
        response_median_seconds=row["response_median"],
        response_p90_seconds=row["response_p90"],
        resolution_median_seconds=row["resolution_median"],
        resolution_p90_seconds=row["resolution_p90"],
        client_delay_seconds=row["client_delay"],
        reopens=row["reopens"],
        response_target_median_seconds=row["response_target_median"],
        resolution_target_median_seconds=row["resolution_target_median"],
    )


async def report(pool: asyncpg.Pool, query: SlaReport) -> SlaReportView:
    if query.since and query.until and query.until <= query.since:
        raise Invalid.field("until", "must be after since")
    conditions = [
        "($1::timestamptz IS NULL OR registered_at >= $1)",
        "($2::timestamptz IS NULL OR registered_at < $2)",
        "($3::uuid IS NULL OR organization_id = $3)",
        "(category_path[1:cardinality($4::text[])] = $4::text[])",
        "($5::uuid IS NULL OR assignee_id = $5)",
        "($6::text IS NULL OR priority = $6)",
    ]
    where = " AND ".join(conditions)
    args = (
        query.since.astimezone(UTC) if query.since else None,
        query.until.astimezone(UTC) if query.until else None,
        query.organization_id,
        list(query.category_path),
        query.agent_id,
        query.priority.value if query.priority else None,
    )
    key = _GROUP_KEYS[query.group_by]
    total = await pool.fetchrow(f"SELECT {_AGGREGATES} FROM {_TARGETS} WHERE {where}", *args)
    groups = await pool.fetch(
        f"SELECT {key} AS key, {_AGGREGATES} FROM {_TARGETS} WHERE {where} GROUP BY 1 ORDER BY 1",
        *args,
    )
    return SlaReportView(
        group_by=query.group_by,
        since=query.since,
        until=query.until,
        total=_report_row("all", total),
        groups=tuple(_report_row(str(row["key"]), row) for row in groups),
    )
