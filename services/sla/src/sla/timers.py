"""sla's timers: which ones an incident has (the reminders and breaches of its clocks, the
steps of its escalation ladder) and what each announces when it fires.

The mechanism (storage, claim, wake-up, firing through the outbox exactly once) is the
runtime's (`desk_runtime.timers`); an incident's timers are keyed by its id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from uuid import UUID

from desk_contracts import Message
from desk_contracts.messages import SlaBreached, SlaEscalated, SlaReminderDue
from desk_runtime import timers
from desk_runtime.service import UnitOfWork
from desk_runtime.timers import FiredTimer, Timer, TimerHandler

from .metrics import SLA_TIMER_LATENESS, SLA_TIMERS_FIRED
from .store import clocks as store
from .store.clocks import CLOCKS

# Each payload still names its `event`, as the timers armed before the mechanism moved to
# the runtime do: re-arming one of them with the same due time leaves it untouched.


def reminder(incident_id: UUID, clock: str, at: datetime, clock_due: datetime) -> Timer:
    return Timer(
        f"{clock}_reminder",
        str(incident_id),
        at,
        {"event": "reminder", "clock": clock, "due": clock_due.isoformat()},
    )


def breach(incident_id: UUID, clock: str, due: datetime) -> Timer:
    return Timer(f"{clock}_breach", str(incident_id), due, {"event": "breach", "clock": clock})


def next_reply_breach(incident_id: UUID, waiting_since: datetime, due: datetime) -> Timer:
    """One per next-reply clock (a fired timer never fires again, and an incident has
    many next replies): the kind names the client entry that started the clock."""
    started = waiting_since.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return Timer(
        f"next_reply_breach:{started}",
        str(incident_id),
        due,
        {"event": "breach", "clock": "next_reply"},
    )


def escalation(
    incident_id: UUID, kind: str, due: datetime, level: int, notify: str, reassign: bool
) -> Timer:
    return Timer(
        kind,
        str(incident_id),
        due,
        {"event": "escalation", "level": level, "notify": notify, "reassign": reassign},
    )


async def sync_timers(
    uow: UnitOfWork, incident_id: UUID, wanted: Iterable[Timer], rearm: Collection[str] = ()
) -> None:
    """Make the incident's armed timers exactly `wanted`: cancel the others, move or arm
    these. A timer that already fired stays fired (each fires once), unless its kind is
    in `rearm`: a breach withdrawn because a late fact moved its due time."""
    await timers.replace(uow.conn, str(incident_id), wanted, rearm_fired=rearm)


# --- firing -------------------------------------------------------------------------------


def reminder_due(timer: FiredTimer) -> Message:
    return SlaReminderDue(
        incident_id=UUID(timer.key),
        clock=str(timer.payload["clock"]),
        due_at=datetime.fromisoformat(str(timer.payload["due"])),
        fired_at=timer.fired_at,
    )


def breached(timer: FiredTimer) -> Message:
    return SlaBreached(
        incident_id=UUID(timer.key),
        clock=str(timer.payload["clock"]),
        due_at=timer.due_at,
        fired_at=timer.fired_at,
    )


def escalated(timer: FiredTimer) -> Message:
    return SlaEscalated(
        incident_id=UUID(timer.key),
        level=int(timer.payload["level"]),
        notify=str(timer.payload["notify"]),
        reassign=bool(timer.payload.get("reassign", False)),
        fired_at=timer.fired_at,
    )


# What a timer of each family (its kind before a colon) announces.
ANNOUNCES: dict[str, Callable[[FiredTimer], Message]] = {
    "response_reminder": reminder_due,
    "resolution_reminder": reminder_due,
    "response_breach": breached,
    "next_reply_breach": breached,
    "resolution_breach": breached,
    "escalation": escalated,
}


async def fire(uow: UnitOfWork, fired: list[FiredTimer]) -> None:
    """Announce what the fired timers say and record the breaches on their clocks, in
    the unit of work that marks them fired (one per batch: one outbox statement)."""
    events = [ANNOUNCES[timer.family](timer) for timer in fired]
    await uow.publish_many(events)
    for clock in CLOCKS:
        hits = [e for e in events if isinstance(e, SlaBreached) and e.clock == clock]
        if hits:
            # Recorded on what sla knows now. A fact that arrives later but happened
            # earlier (an answer before the due time, a wait that moves it) withdraws
            # it again in clocks.refresh; the notification sent here cannot be unsent.
            await store.record_breaches(
                uow.conn, clock, [(hit.incident_id, hit.due_at) for hit in hits]
            )

    def count() -> None:
        for timer in fired:
            SLA_TIMERS_FIRED.labels(timer.family).inc()
            SLA_TIMER_LATENESS.labels(timer.family).observe(timer.lateness)

    uow.on_commit(count)


HANDLERS: dict[str, TimerHandler] = dict.fromkeys(ANNOUNCES, fire)
