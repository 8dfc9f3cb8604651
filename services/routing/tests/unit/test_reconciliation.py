"""Reconciliation with intake: hand-picked cases for each rule, then properties over
random books on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from desk_contracts.enums import Priority
from hypothesis import given, settings
from hypothesis import strategies as st
from routing.reconciliation import (
    Booking,
    IntakeIncident,
    apply_plan,
    loads_of,
    plan_reconciliation,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROPS = settings(max_examples=300, deadline=None)
ANNA, BORIS, GONE = UUID(int=1), UUID(int=2), UUID(int=99)
AGENTS = {ANNA, BORIS}


def incident(n: int) -> UUID:
    return UUID(int=1000 + n)


def truth(
    n: int, *, is_open: bool = True, assignee: UUID | None = None, at: int | None = None
) -> IntakeIncident:
    return IntakeIncident(
        incident_id=incident(n),
        is_open=is_open,
        assignee_id=assignee,
        assigned_at=None if at is None else T0 + timedelta(minutes=at),
        category_path=("fault",),
        priority=Priority.NORMAL,
        registered_at=T0,
    )


def booking(n: int, agent: UUID, *, is_open: bool = True, at: int = 0) -> Booking:
    return Booking(incident(n), agent, is_open, T0 + timedelta(minutes=at))


def by_id(*items: Any) -> dict[UUID, Any]:
    return {item.incident_id: item for item in items}


def test_books_that_agree_need_nothing() -> None:
    plan = plan_reconciliation(
        by_id(truth(1, assignee=ANNA, at=1), truth(2)),
        by_id(booking(1, ANNA, at=1)),
        waiting={incident(2)},
        agents=AGENTS,
    )
    assert plan.changes == 0
    assert plan.intake_behind == []


def test_an_incident_intake_resolved_counts_for_nobody_and_waits_for_nobody() -> None:
    plan = plan_reconciliation(
        by_id(truth(1, is_open=False, assignee=ANNA, at=1), truth(2, is_open=False)),
        by_id(booking(1, ANNA, at=1)),
        waiting={incident(2)},
        agents=AGENTS,
    )
    assert plan.close == [incident(1)]
    assert plan.drop_waiting == [incident(2)]


def test_an_incident_intake_does_not_know_is_dropped_everywhere() -> None:
    plan = plan_reconciliation(
        {}, by_id(booking(1, ANNA)), waiting={incident(2)}, agents=AGENTS, escalating=()
    )
    assert plan.close == [incident(1)]
    assert plan.drop_waiting == [incident(2)]


def test_an_assignment_routing_lost_is_booked_from_intake() -> None:
    plan = plan_reconciliation(by_id(truth(1, assignee=BORIS, at=5)), {}, waiting=(), agents=AGENTS)
    assert plan.add == [booking(1, BORIS, at=5)]


def test_an_assignment_intake_has_not_heard_of_yet_is_kept() -> None:
    # Routing gave it to Boris at minute 7; intake still records Anna from minute 5.
    plan = plan_reconciliation(
        by_id(truth(1, assignee=ANNA, at=5), truth(2)),
        by_id(booking(1, BORIS, at=7), booking(2, ANNA, at=3)),
        waiting=(),
        agents=AGENTS,
    )
    assert plan.changes == 0
    assert plan.intake_behind == [incident(1), incident(2)]


def test_a_newer_assignment_in_intake_moves_the_booking() -> None:
    # Routing's database was restored from before the reassignment to Boris.
    plan = plan_reconciliation(
        by_id(truth(1, assignee=BORIS, at=9)),
        by_id(booking(1, ANNA, at=2)),
        waiting=(),
        agents=AGENTS,
    )
    assert plan.move == [booking(1, BORIS, at=9)]


def test_an_incident_intake_reopened_counts_again() -> None:
    plan = plan_reconciliation(
        by_id(truth(1, assignee=ANNA, at=1)),
        by_id(booking(1, ANNA, is_open=False, at=1)),
        waiting=(),
        agents=AGENTS,
    )
    assert plan.reopen == [incident(1)]


def test_a_registration_that_never_arrived_is_queued() -> None:
    plan = plan_reconciliation(by_id(truth(1)), {}, waiting=(), agents=AGENTS)
    assert plan.arrivals == [truth(1)]


def test_a_booked_incident_still_waiting_for_a_first_agent_leaves_the_backlog() -> None:
    plan = plan_reconciliation(
        by_id(truth(1, assignee=ANNA, at=1)), {}, waiting={incident(1)}, agents=AGENTS
    )
    assert plan.add == [booking(1, ANNA, at=1)]
    assert plan.drop_waiting == [incident(1)]


def test_an_escalation_waiting_for_someone_else_keeps_its_place_and_its_booking() -> None:
    plan = plan_reconciliation(
        by_id(truth(1, assignee=ANNA, at=1)),
        by_id(booking(1, ANNA, at=1)),
        waiting=(),
        agents=AGENTS,
        escalating={incident(1)},
    )
    assert plan.changes == 0


def test_an_assignee_without_a_profile_here_is_reported_not_booked() -> None:
    plan = plan_reconciliation(by_id(truth(1, assignee=GONE, at=1)), {}, (), agents=AGENTS)
    assert plan.changes == 0
    assert plan.unknown_agents == {GONE}


# --- properties ------------------------------------------------------------------------

AGENT_IDS = st.sampled_from([ANNA, BORIS, GONE])
MINUTES = st.integers(min_value=0, max_value=20)


@st.composite
def both_sides(
    draw: st.DrawFn,
) -> tuple[dict[UUID, IntakeIncident], dict[UUID, Booking], set[UUID], set[UUID]]:
    intake: dict[UUID, IntakeIncident] = {}
    bookings: dict[UUID, Booking] = {}
    waiting: set[UUID] = set()
    escalating: set[UUID] = set()
    for n in range(draw(st.integers(min_value=0, max_value=12))):
        if draw(st.booleans()):
            assignee = draw(st.none() | AGENT_IDS)
            at = draw(MINUTES) if assignee is not None and draw(st.booleans()) else None
            intake[incident(n)] = truth(n, is_open=draw(st.booleans()), assignee=assignee, at=at)
        if draw(st.booleans()):
            agent = draw(st.sampled_from([ANNA, BORIS]))
            bookings[incident(n)] = booking(n, agent, is_open=draw(st.booleans()), at=draw(MINUTES))
            if draw(st.booleans()):
                escalating.add(incident(n))
        elif draw(st.booleans()):
            waiting.add(incident(n))
    return intake, bookings, waiting, escalating


@PROPS
@given(both_sides())
def test_after_the_plan_nothing_closed_in_intake_counts_and_a_second_plan_is_empty(
    sides: tuple[dict[UUID, IntakeIncident], dict[UUID, Booking], set[UUID], set[UUID]],
) -> None:
    intake, bookings, waiting, escalating = sides
    plan = plan_reconciliation(intake, bookings, waiting, AGENTS, escalating)
    after, still_waiting = apply_plan(bookings, waiting, plan)
    escalating_after = escalating - set(plan.drop_waiting)

    for incident_id, booked in after.items():
        if booked.is_open:
            assert incident_id in intake
            assert intake[incident_id].is_open
    for incident_id in still_waiting | escalating_after:
        assert incident_id in intake
        assert intake[incident_id].is_open
    for incident_id, known in intake.items():
        if not known.is_open:
            continue
        booked = after.get(incident_id)
        # Every open incident counts for somebody, waits, or names a missing profile.
        assert (
            (booked is not None and booked.is_open)
            or incident_id in still_waiting
            or known.assignee_id == GONE
        )
        if booked is not None and booked.is_open:
            # It waits for a first agent no longer (an escalation may still wait).
            assert incident_id not in still_waiting
            before = bookings.get(incident_id)
            if before is not None and before.assigned_at > (known.assigned_at or T0 - timedelta(1)):
                assert booked.agent_id == before.agent_id  # routing's newer decision stays
    again = plan_reconciliation(intake, after, still_waiting, AGENTS, escalating_after)
    assert again.changes == 0


@PROPS
@given(both_sides())
def test_every_incident_counted_is_confirmed_by_intake_or_on_its_way_there(
    sides: tuple[dict[UUID, IntakeIncident], dict[UUID, Booking], set[UUID], set[UUID]],
) -> None:
    intake, bookings, waiting, escalating = sides
    plan = plan_reconciliation(intake, bookings, waiting, AGENTS, escalating)
    after, _ = apply_plan(bookings, waiting, plan)
    loads = loads_of(after)
    assert sum(loads.values()) <= sum(1 for t in intake.values() if t.is_open)
    for agent_id, load in loads.items():
        counted = [i for i, b in after.items() if b.is_open and b.agent_id == agent_id]
        assert len(counted) == load
        for incident_id in counted:
            assert (
                intake[incident_id].assignee_id == agent_id
                or incident_id in plan.intake_behind
                or intake[incident_id].assignee_id == GONE
            )
