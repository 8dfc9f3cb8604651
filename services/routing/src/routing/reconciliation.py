"""Reconciling routing's books with intake's truth, as a pure plan.

Intake owns the life cycle: whether an incident is open is what intake says. Assignments
are routing's decisions, which intake records when their announcement arrives; each
carries its decision time, so the two sides can tell which of them is behind:

- routing's assignment is newer than the one intake records → intake has not heard of it
  yet (the announcement is on its way): keep it;
- intake records a newer assignment (or one routing has no row of, e.g. after routing's
  database was restored from a backup) → take intake's;
- intake says the incident is resolved or closed, or does not know it → it counts for
  nobody and waits for nobody;
- open in intake, unassigned on both sides and not waiting here → its registration never
  got to routing: queue it as a new arrival.

Loads are then recounted from the corrected bookings. Planning the same inputs again after
the plan is applied finds nothing to change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from desk_contracts.enums import Priority

__all__ = [
    "Booking",
    "IntakeIncident",
    "Plan",
    "apply_plan",
    "loads_of",
    "plan_reconciliation",
]


@dataclass(frozen=True)
class IntakeIncident:
    """One incident as intake has it."""

    incident_id: UUID
    is_open: bool
    assignee_id: UUID | None
    assigned_at: datetime | None
    category_path: tuple[str, ...]
    priority: Priority
    registered_at: datetime


@dataclass(frozen=True)
class Booking:
    """One row of routing's assignments: whose load the incident counts towards."""

    incident_id: UUID
    agent_id: UUID
    is_open: bool
    assigned_at: datetime


@dataclass
class Plan:
    """The corrections, each named by what it does to routing's books."""

    add: list[Booking] = field(default_factory=list)
    move: list[Booking] = field(default_factory=list)
    close: list[UUID] = field(default_factory=list)
    reopen: list[UUID] = field(default_factory=list)
    arrivals: list[IntakeIncident] = field(default_factory=list)
    drop_waiting: list[UUID] = field(default_factory=list)
    intake_behind: list[UUID] = field(default_factory=list)
    # Intake names an assignee routing has no profile of: nothing can be booked on it.
    unknown_agents: set[UUID] = field(default_factory=set)

    @property
    def changes(self) -> int:
        return sum(
            len(part)
            for part in (
                self.add,
                self.move,
                self.close,
                self.reopen,
                self.arrivals,
                self.drop_waiting,
            )
        )


def _intake_is_newer(truth: IntakeIncident, booking: Booking) -> bool:
    return truth.assigned_at is not None and truth.assigned_at >= booking.assigned_at


def plan_reconciliation(
    intake: Mapping[UUID, IntakeIncident],
    bookings: Mapping[UUID, Booking],
    waiting: Collection[UUID],
    agents: Collection[UUID],
    escalating: Collection[UUID] = (),
) -> Plan:
    """What to change so routing agrees with intake.

    `intake` holds every open incident and every incident routing books or keeps waiting
    that intake knows (an id missing from it is unknown to intake); `waiting` are the
    incidents waiting for a first agent (backlog or arrivals); `escalating` those waiting
    in the backlog for an escalation away from the assignee that still holds them;
    `agents` the profiles routing has.
    """
    plan = Plan()
    for incident_id in sorted(set(intake) | set(bookings) | set(waiting) | set(escalating)):
        truth = intake.get(incident_id)
        booking = bookings.get(incident_id)
        is_waiting = incident_id in waiting
        if truth is None or not truth.is_open:
            if booking is not None and booking.is_open:
                plan.close.append(incident_id)
            if is_waiting or incident_id in escalating:
                plan.drop_waiting.append(incident_id)
            continue
        takes_intakes = truth.assignee_id is not None and (
            booking is None
            or (booking.agent_id != truth.assignee_id and _intake_is_newer(truth, booking))
        )
        if takes_intakes and truth.assignee_id not in agents:
            # Nothing can be booked on a profile routing lacks; an operator restores it.
            assert truth.assignee_id is not None
            plan.unknown_agents.add(truth.assignee_id)
            if booking is not None and not booking.is_open:
                plan.reopen.append(incident_id)
            continue
        if takes_intakes:
            assert truth.assignee_id is not None
            wanted = Booking(
                incident_id,
                truth.assignee_id,
                is_open=True,
                assigned_at=truth.assigned_at or truth.registered_at,
            )
            (plan.add if booking is None else plan.move).append(wanted)
        elif booking is not None:
            if booking.agent_id != truth.assignee_id:
                plan.intake_behind.append(incident_id)
            if not booking.is_open:
                plan.reopen.append(incident_id)
        elif not is_waiting:
            # Open, assigned on neither side: its registration never reached routing.
            plan.arrivals.append(truth)
            continue
        if is_waiting and (takes_intakes or booking is not None):
            plan.drop_waiting.append(incident_id)
    return plan


def apply_plan(
    bookings: Mapping[UUID, Booking], waiting: Collection[UUID], plan: Plan
) -> tuple[dict[UUID, Booking], set[UUID]]:
    """Routing's bookings and waiting incidents once the plan is carried out."""
    result = dict(bookings)
    for booking in (*plan.add, *plan.move):
        result[booking.incident_id] = booking
    for incident_id in plan.close:
        result[incident_id] = _with_open(result[incident_id], False)
    for incident_id in plan.reopen:
        result[incident_id] = _with_open(result[incident_id], True)
    still_waiting = (set(waiting) - set(plan.drop_waiting)) | {
        truth.incident_id for truth in plan.arrivals
    }
    return result, still_waiting


def _with_open(booking: Booking, is_open: bool) -> Booking:
    return Booking(booking.incident_id, booking.agent_id, is_open, booking.assigned_at)


def loads_of(bookings: Mapping[UUID, Booking]) -> Counter[UUID]:
    """Load = the open incidents booked on each agent."""
    return Counter(b.agent_id for b in bookings.values() if b.is_open)
