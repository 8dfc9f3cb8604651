"""An incident's clocks: recomputation after every change, timers (the SQL is
`store/clocks.py`).

Every change (registration, a status change, the first response, a reclassification)
updates the stored facts (pauses, actual times) and then calls `refresh`, which
recomputes the deadlines from registration with the contract version and calendar the
incident was registered under, keeps the protocol, re-arms the timers and announces new
due times. History that already happened (a recorded response) is never rewritten by a
later computation; a recorded breach is withdrawn only when a fact that arrived late shows
the deadline met or moves it past the breach (see domain.breaches).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Priority
from desk_contracts.messages import DeadlinesSet, IncidentRegistered
from desk_runtime.service import UnitOfWork
from desk_runtime.timers import Timer

from . import timers
from .contracts import ContractVersion, calendar_from_json, contract_version, version_from_row
from .domain import (
    RESOLVED_SPAN,
    DeadlineInput,
    Deadlines,
    Pause,
    TargetRule,
    WorkingCalendar,
    compute_deadlines,
    select_rule,
)
from .domain.breaches import standing_breach
from .domain.history import STOPPED as STOPPED_STATES
from .domain.ladder import LadderDue, ladder_dues
from .domain.replies import next_reply_due
from .store import clocks as store

# The states that stop the clocks (until a reopen), as stored.
STOPPED = frozenset(status.value for status in STOPPED_STATES)


@dataclass(frozen=True)
class Computation:
    """Everything one computation of an incident yields."""

    contract: ContractVersion
    calendar: WorkingCalendar
    rule: TargetRule
    pauses: tuple[Pause, ...]
    deadlines: Deadlines
    ladder: tuple[LadderDue, ...]


def compute(
    contract: ContractVersion,
    calendar: WorkingCalendar,
    registered_at: datetime,
    category_path: tuple[str, ...],
    priority: Priority,
    pauses: tuple[Pause, ...],
    now: datetime | None,
) -> Computation:
    """The pure part: target, due times, reminders, ladder and protocol."""
    rule = select_rule(contract.rules, category_path, priority)
    if rule is None:
        raise LookupError(f"contract {contract.name} has no target for this incident")
    deadlines = compute_deadlines(
        DeadlineInput(
            registered_at=registered_at,
            calendar=calendar,
            calendar_name=contract.calendar_name,
            rule=rule,
            contract_name=contract.name,
            contract_version=contract.version,
            category_path=category_path,
            priority=priority,
            pauses=pauses,
            now=now,
        )
    )
    ladder = ladder_dues(contract.ladder, calendar, priority, registered_at, pauses, now)
    return Computation(contract, calendar, rule, pauses, deadlines, ladder)


def clock_origin(row: asyncpg.Record) -> datetime:
    """Where an incident's clocks count from: its registration, or the channel's next
    opening when it came outside the channel's hours."""
    started: datetime | None = row["clock_starts_at"]
    return started if started is not None else row["registered_at"]


async def computation_for(
    conn: asyncpg.Connection | asyncpg.Pool, row: asyncpg.Record, now: datetime
) -> Computation:
    contract = version_from_row(
        await contract_version(conn, row["contract_id"], row["contract_version"])
    )
    calendar = calendar_from_json(row["calendar"]) if row["calendar"] else contract.calendar
    # An open "resolved" stop means the incident is resolved now: the plan is what it was
    # when it was resolved, so that stop only counts once a reopen has closed it.
    pauses = tuple(
        pause
        for pause in await store.pauses_of(conn, row["incident_id"])
        if not (pause.kind == RESOLVED_SPAN and pause.ended_at is None)
    )
    return compute(
        contract,
        calendar,
        clock_origin(row),
        tuple(row["category_path"]),
        Priority(row["priority"]),
        pauses,
        now,
    )


def wanted_timers(row: asyncpg.Record, result: Computation) -> list[Timer]:
    """The timers an incident in this state needs; none while a clock stands still."""
    status = row["status"]
    if status in STOPPED or any(p.ended_at is None for p in result.pauses):
        return []
    incident = row["incident_id"]
    deadlines = result.deadlines
    wanted: list[Timer] = []
    if row["first_response_at"] is None:
        if deadlines.response_reminder_at is not None:
            wanted.append(
                timers.reminder(
                    incident, "response", deadlines.response_reminder_at, deadlines.response_due
                )
            )
        wanted.append(timers.breach(incident, "response", deadlines.response_due))
    if deadlines.reminder_at is not None:
        wanted.append(
            timers.reminder(incident, "resolution", deadlines.reminder_at, deadlines.resolution_due)
        )
    wanted.append(timers.breach(incident, "resolution", deadlines.resolution_due))
    if row["next_reply_due"] is not None and row["next_reply_breached_at"] is None:
        wanted.append(
            timers.next_reply_breach(incident, row["next_reply_started_at"], row["next_reply_due"])
        )
    for due in result.ladder:
        step = due.step
        wanted.append(
            timers.escalation(
                incident, step.timer_kind, due.due_at, step.level, step.notify, step.reassign
            )
        )
    return wanted


async def refresh(
    uow: UnitOfWork,
    incident_id: UUID,
    reason: str,
    *,
    announce: bool = False,
    settle_breaches: bool = True,
) -> Computation:
    """Recompute from registration, store the protocol, re-arm timers, announce changes.

    `settle_breaches=False` keeps the recorded breaches as they are, and for good (they
    become final): a new priority or category is no late fact about the past, and
    lowering one must not erase a breach, now or at a later recomputation."""
    conn = uow.conn
    row = await store.require_clock(conn, incident_id)
    now = utc_now()
    result = await computation_for(conn, row, now)
    deadlines = result.deadlines
    # An answered first response keeps the due time it was measured against.
    response_due = (
        row["response_due"] if row["first_response_at"] is not None else deadlines.response_due
    )
    resolution_due = deadlines.resolution_due
    reply_due = open_reply_due(row, result, now)
    # A fact that arrived after a breach fired may show the deadline met, or move it past
    # the breach: the recorded breach follows (the notification stays sent).
    final_at = row["breaches_final_at"] if settle_breaches else now

    def settle(
        due: datetime, actual: datetime | None, breached_at: datetime | None
    ) -> datetime | None:
        if not settle_breaches:
            return breached_at  # as recorded: a reclassification neither adds nor removes
        return standing_breach(due, actual, breached_at, final_at)

    breaches = {
        "response": settle(response_due, row["first_response_at"], row["response_breached_at"]),
        "resolution": settle(resolution_due, row["resolved_at"], row["resolution_breached_at"]),
        "next_reply": (
            settle(reply_due, None, row["next_reply_breached_at"])
            if reply_due is not None
            else row["next_reply_breached_at"]
        ),
    }
    steps = [step.as_dict() for step in deadlines.steps]
    previous = (row["response_due"], row["resolution_due"])
    stored = await store.store_computation(
        conn,
        incident_id,
        reason,
        {
            "response_due": response_due,
            "resolution_due": resolution_due,
            "reminder_at": deadlines.reminder_at,
            "response_reminder_at": deadlines.response_reminder_at,
            "paused_seconds": deadlines.paused_business.total_seconds(),
            "client_delay_seconds": deadlines.client_delay.total_seconds(),
            "protocol": steps,
            "computed_at": now,
            "response_breached_at": breaches["response"],
            "resolution_breached_at": breaches["resolution"],
            "next_reply_breached_at": breaches["next_reply"],
            "next_reply_due": reply_due,
            "breaches_final_at": final_at,
        },
    )
    # A breach timer that fired for a breach since withdrawn (now or by an earlier change,
    # say while a late wait was still open) is armed again if its clock still runs.
    rearm = [
        breach_timer_kind(stored, clock)
        for clock, standing in breaches.items()
        if standing is None and (clock != "next_reply" or reply_due is not None)
    ]
    announce = announce or (response_due, resolution_due) != previous
    await _arm_and_announce(uow, stored, result, response_due, resolution_due, now, announce, rearm)
    return result


def open_reply_due(row: asyncpg.Record, result: Computation, now: datetime) -> datetime | None:
    """The open next-reply clock's due time, moved by the stops since the client wrote."""
    started = row["next_reply_started_at"]
    if started is None:
        return None
    target = timedelta(seconds=row["next_reply_target_seconds"])
    return next_reply_due(result.calendar, started, target, result.pauses, now)


def breach_timer_kind(row: asyncpg.Record, clock: str) -> str:
    incident = row["incident_id"]
    if clock == "next_reply":
        started, due = row["next_reply_started_at"], row["next_reply_due"]
        return timers.next_reply_breach(incident, started, due).kind
    return timers.breach(incident, clock, row[f"{clock}_due"]).kind


async def register_clock(
    uow: UnitOfWork,
    event: IncidentRegistered,
    contract: ContractVersion,
    starts_at: datetime | None = None,
    computed_at: datetime | None = None,
) -> None:
    """Start a new incident's clocks under `contract`: the due times computed from the
    registration (the contract's calendar, no pauses yet), the clock with its protocol
    and the computation's record in one statement (nothing if a redelivery finds the
    clock there), then its timers, and announce the due times. The events about the
    incident that came first (an assignment, a status change) are handled next.
    `computed_at` is now, or the registration of a past incident the demo seeds."""
    origin = starts_at if starts_at is not None else event.registered_at
    first = compute(
        contract,
        contract.calendar,
        origin,
        event.category_path,
        event.priority,
        (),
        None,
    )
    deadlines = first.deadlines
    now = computed_at or utc_now()
    row = await store.register(
        uow.conn,
        event,
        {
            "contract_id": contract.contract_id,
            "contract_version": contract.version,
            "response_due": deadlines.response_due,
            "resolution_due": deadlines.resolution_due,
            "reminder_at": deadlines.reminder_at,
            "response_reminder_at": deadlines.response_reminder_at,
            "protocol": [step.as_dict() for step in deadlines.steps],
            "computed_at": now,
            "calendar_name": contract.calendar_name,
            "calendar": snapshot_of(contract),
            "clock_starts_at": origin if origin != event.registered_at else None,
        },
    )
    if row is not None:
        await _arm_and_announce(
            uow, row, first, deadlines.response_due, deadlines.resolution_due, now, True
        )
    uow.arrived(store.INCIDENT, event.incident_id)


async def _arm_and_announce(
    uow: UnitOfWork,
    row: asyncpg.Record,
    result: Computation,
    response_due: datetime,
    resolution_due: datetime,
    now: datetime,
    announce: bool,
    rearm: list[str] | None = None,
) -> None:
    """Arm the timers the incident now needs and, if asked, announce its due times."""
    await timers.sync_timers(uow, row["incident_id"], wanted_timers(row, result), rearm or ())
    if announce:
        await uow.publish(
            DeadlinesSet(
                incident_id=row["incident_id"],
                contract_id=row["contract_id"],
                contract_name=result.contract.name,
                contract_version=row["contract_version"],
                response_due=response_due,
                resolution_due=resolution_due,
                computed_at=now,
                time_zone=result.calendar.time_zone,
            )
        )


def signed_business(calendar: WorkingCalendar, due: datetime, actual: datetime) -> timedelta:
    """Business time late (positive) or early (negative) against the due time."""
    if actual >= due:
        return calendar.between(due, actual)
    return -calendar.between(actual, due)


def snapshot_of(contract: ContractVersion) -> dict[str, Any]:
    assert contract.calendar_snapshot is not None
    return contract.calendar_snapshot
