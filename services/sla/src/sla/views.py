"""What sla shows of an incident's deadlines: its clocks with their state, stops, steps
and protocol (and, for staff, escalations, timers and computations), and the pieces a
preview shares with it."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Channel, Priority
from desk_contracts.messages import (
    ClockView,
    ComputationView,
    EscalationDue,
    GetIncidentSla,
    IncidentSla,
    PauseView,
    ProtocolStepView,
    TimerView,
)
from desk_runtime.errors import Invalid, NotFound
from desk_runtime.timers import timers_of

from . import clocks
from .domain import (
    CalendarError,
    ProtocolStep,
    WorkingCalendar,
    parse_iso_duration,
    render_protocol,
)
from .store import clocks as store
from .store import quotas as quota_store


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise Invalid.field(field, "give a time zone offset (e.g. 2026-03-09T09:00:00+03:00)")
    return value


def aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value, "pauses")


def step_view(step: ProtocolStep) -> ProtocolStepView:
    return ProtocolStepView(code=step.code, params=dict(step.params))


def escalations(result: clocks.Computation) -> tuple[EscalationDue, ...]:
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
    row = await store.read_clock(conn, query.incident_id)
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
        answered = await store.last_answered_reply(conn, query.incident_id)
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
    pauses = await store.pauses_of(conn, query.incident_id)
    use = await quota_store.use_of(conn, query.incident_id, lock=False)
    staff_only: dict[str, object] = {}
    if query.principal.role.is_staff:
        incident_timers = await timers_of(conn, str(query.incident_id))
        computation_rows = await store.computations_of(conn, query.incident_id)
        staff_only = {
            "escalations": escalations(result),
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
        clock_starts_at=row["clock_starts_at"],
        channel=Channel(use["channel"]) if use else None,
        over_quota=use["over_quota"] if use else None,
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
                kind=p.kind,
                started_at=p.started_at,
                ended_at=p.ended_at,
                business_seconds=_business(calendar, p.started_at, p.ended_at or now),
            )
            for p in pauses
        ),
        steps=tuple(step_view(step) for step in steps),
        protocol=tuple(render_protocol(steps, query.locale, calendar.time_zone)),
        **staff_only,
    )


def _business(calendar: WorkingCalendar, start: datetime, end: datetime) -> float:
    try:
        return calendar.between(start, end).total_seconds()
    except CalendarError:
        return 0.0
