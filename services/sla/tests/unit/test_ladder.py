"""The escalation ladder, the clock helpers behind it and the resolved-span pauses."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from desk_contracts.enums import Priority
from hypothesis import given
from hypothesis import strategies as st
from sla.domain import (
    CLIENT_WAIT,
    RESOLVED_SPAN,
    DeadlineInput,
    Pause,
    TargetRule,
    WorkingCalendar,
    business_elapsed,
    clock_instant,
    compute_deadlines,
    render_protocol,
)
from sla.domain.ladder import DEFAULT_LADDER, EscalationStep, ladder_dues

H = timedelta(hours=1)
S = timedelta(seconds=1)
office = WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))
always = WorkingCalendar.twenty_four_seven()
# Monday 9 March 2026, 09:00 Moscow = 06:00 UTC.
MONDAY = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)


def test_default_ladder_counts_business_days_of_the_calendar() -> None:
    dues = ladder_dues(DEFAULT_LADDER, office, Priority.NORMAL, MONDAY)
    # One business day of a 9-18 calendar is 9 h: the end of Monday, then of Tuesday.
    assert [(d.step.level, d.due_at) for d in dues] == [
        (1, MONDAY + 9 * H),
        (2, MONDAY + 33 * H),
    ]
    assert dues[0].step.reassign
    assert dues[0].step.notify == "group_head"
    assert dues[1].step.notify == "department_head"


def test_critical_incidents_also_reach_the_escalation_contact_after_the_first_day() -> None:
    dues = ladder_dues(DEFAULT_LADDER, always, Priority.CRITICAL, MONDAY)
    assert [(d.step.level, d.due_at) for d in dues] == [
        (1, MONDAY + 24 * H),
        (3, MONDAY + 24 * H),
        (2, MONDAY + 48 * H),
    ]
    assert dues[1].step.notify == "escalation_contact"


def test_steps_in_seconds_move_with_waits_on_the_client() -> None:
    ladder = (EscalationStep(1, "group_head", reassign=True, after=5 * S),)
    waited = (Pause(MONDAY + S, MONDAY + 3 * S),)
    (due,) = ladder_dues(ladder, always, Priority.LOW, MONDAY, waited)
    assert due.due_at == MONDAY + 7 * S


def test_step_json_round_trip_and_validation() -> None:
    for step in DEFAULT_LADDER:
        assert EscalationStep.from_json(step.to_json()) == step
    with pytest.raises(ValueError, match="exactly one"):
        EscalationStep(1, "group_head")
    with pytest.raises(ValueError, match="notify"):
        EscalationStep(1, "the president", after=S)
    with pytest.raises(ValueError, match="level"):
        EscalationStep(0, "group_head", after=S)


def test_time_spent_resolved_stops_the_clock_but_is_not_client_delay() -> None:
    rule = TargetRule((), None, response=H, resolution=10 * S)
    result = compute_deadlines(
        DeadlineInput(
            registered_at=MONDAY,
            calendar=always,
            calendar_name="24/7",
            rule=rule,
            contract_name="Standard",
            contract_version=1,
            category_path=(),
            priority=Priority.NORMAL,
            pauses=(
                Pause(MONDAY + 2 * S, MONDAY + 4 * S, CLIENT_WAIT),
                Pause(MONDAY + 6 * S, MONDAY + 26 * S, RESOLVED_SPAN),
            ),
        )
    )
    assert result.resolution_due == MONDAY + 32 * S
    assert result.paused_business == 22 * S
    assert result.client_delay == 2 * S
    lines = render_protocol(result.steps, "en", "UTC")
    assert any(line.startswith("Resolved from") for line in lines)
    assert any("Client-caused delay in total: 2 s" in line for line in lines)
    ru = render_protocol(result.steps, "ru", "UTC")
    assert any(line.startswith("Решён с") for line in ru)


def test_waits_of_different_kinds_that_touch_are_kept_apart() -> None:
    rule = TargetRule((), None, response=H, resolution=10 * S)
    result = compute_deadlines(
        DeadlineInput(
            registered_at=MONDAY,
            calendar=always,
            calendar_name="24/7",
            rule=rule,
            contract_name="Standard",
            contract_version=1,
            category_path=(),
            priority=Priority.NORMAL,
            pauses=(
                Pause(MONDAY + S, MONDAY + 3 * S, CLIENT_WAIT),
                Pause(MONDAY + 3 * S, MONDAY + 8 * S, RESOLVED_SPAN),
            ),
        )
    )
    assert result.client_delay == 2 * S
    assert result.resolution_due == MONDAY + 17 * S


def test_unknown_pause_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        Pause(MONDAY, MONDAY + S, "lunch")


def test_business_elapsed_leaves_out_the_pauses_and_the_nights() -> None:
    # Monday 09:00 to Tuesday 11:00 Moscow: 9 h + 2 h, less a 1 h wait.
    waited = (Pause(MONDAY + 2 * H, MONDAY + 3 * H),)
    assert business_elapsed(office, MONDAY, MONDAY + 26 * H, waited) == 10 * H
    # A wait still open counts up to the measured instant only.
    still = (Pause(MONDAY + 2 * H, None),)
    assert business_elapsed(office, MONDAY, MONDAY + 4 * H, still) == 2 * H
    assert business_elapsed(office, MONDAY, MONDAY - H, ()) == timedelta(0)


def test_clock_instant_needs_now_for_an_open_wait() -> None:
    with pytest.raises(ValueError, match="now"):
        clock_instant(always, MONDAY, (Pause(MONDAY, None),), S)


@given(
    amount=st.integers(min_value=0, max_value=200 * 3600),
    wait_start=st.integers(min_value=0, max_value=100 * 3600),
    wait_length=st.integers(min_value=0, max_value=50 * 3600),
)
def test_clock_instant_accrues_exactly_the_amount(
    amount: int, wait_start: int, wait_length: int
) -> None:
    """Whatever the wait, the business time between registration and the instant, less
    the paused part, is the amount asked for."""
    pause = Pause(MONDAY + wait_start * S, MONDAY + (wait_start + wait_length) * S)
    at = clock_instant(office, MONDAY, (pause,), amount * S)
    assert business_elapsed(office, MONDAY, at, (pause,)) == amount * S
