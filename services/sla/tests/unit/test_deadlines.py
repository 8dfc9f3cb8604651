"""compute_deadlines: business-time targets shifted by client waits, reminders, protocol."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from desk_contracts.enums import Priority
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sla.domain import (
    DeadlineInput,
    Deadlines,
    Pause,
    TargetRule,
    WorkingCalendar,
    compute_deadlines,
    parse_iso_duration,
)

MSK = ZoneInfo("Europe/Moscow")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
ZERO = timedelta(0)

# Moscow 9-18 Mon-Fri; 9 Mar 2026 is a Monday.
office = WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))
PLAIN = TargetRule(("fault",), None, response=2 * H, resolution=9 * H)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=MSK)


def compute(
    registered_at: datetime = msk(9, 9),
    rule: TargetRule = PLAIN,
    pauses: tuple[Pause, ...] = (),
    now: datetime | None = None,
    calendar: WorkingCalendar = office,
) -> Deadlines:
    return compute_deadlines(
        DeadlineInput(
            registered_at=registered_at,
            calendar=calendar,
            calendar_name="Moscow office",
            rule=rule,
            contract_name="Standard",
            contract_version=2,
            category_path=("fault", "software"),
            priority=Priority.HIGH,
            pauses=pauses,
            now=now,
        )
    )


def codes(result: Deadlines) -> list[str]:
    return [step.code for step in result.steps]


def step(result: Deadlines, code: str) -> dict[str, str]:
    (found,) = [dict(s.params) for s in result.steps if s.code == code]
    return found


# -- no pauses ---------------------------------------------------------------------------


def test_without_pauses_due_times_equal_calendar_add() -> None:
    start = msk(6, 17)  # Friday
    result = compute(registered_at=start)
    assert result.response_due == office.add(start, 2 * H) == msk(9, 10)
    assert result.resolution_due == office.add(start, 9 * H) == msk(9, 17)  # 1 h Fri + 8 h Mon
    assert result.response_due.tzinfo is UTC
    assert result.paused_business == ZERO
    assert result.reminder_at is None
    assert result.response_reminder_at is None
    assert codes(result) == [
        "contract",
        "rule",
        "calendar",
        "registered",
        "response_due",
        "resolution_due",
    ]


def test_twenty_four_seven_contract() -> None:
    cal = WorkingCalendar.twenty_four_seven("Europe/Moscow")
    result = compute(registered_at=msk(7, 23), calendar=cal)  # Saturday night counts
    assert result.response_due == msk(8, 1)
    assert result.resolution_due == msk(8, 8)
    assert step(result, "calendar")["hours"] == "24/7"
    assert step(result, "calendar")["business_day"] == "PT24H"


# -- pauses ------------------------------------------------------------------------------


def test_pause_of_two_business_hours_moves_due_by_two_business_hours() -> None:
    result = compute(pauses=(Pause(msk(9, 10), msk(9, 12)),))
    assert result.resolution_due == office.add(msk(9, 9), 11 * H) == msk(10, 11)
    assert result.response_due == msk(9, 13)  # 9-10 counts, 10-12 paused, 12-13 counts
    assert result.paused_business == 2 * H
    assert step(result, "pause")["business"] == "PT2H"
    assert step(result, "resolution_due")["paused"] == "PT2H"
    assert step(result, "paused_total")["business"] == "PT2H"


def test_pause_outside_working_hours_moves_nothing() -> None:
    baseline = compute()
    result = compute(pauses=(Pause(msk(9, 19), msk(10, 8, 30)), Pause(msk(7, 0), msk(8, 23))))
    assert result.response_due == baseline.response_due
    assert result.resolution_due == baseline.resolution_due
    assert result.paused_business == ZERO


def test_pause_after_the_due_time_does_not_move_it_but_is_booked() -> None:
    result = compute(pauses=(Pause(msk(11, 10), msk(11, 12)),))
    assert result.resolution_due == msk(9, 18)
    assert result.paused_business == 2 * H
    assert step(result, "resolution_due")["paused"] == "PT0S"


def test_overlapping_and_touching_pauses_are_merged() -> None:
    result = compute(
        pauses=(
            Pause(msk(9, 11), msk(9, 12)),
            Pause(msk(9, 10), msk(9, 11, 30)),
            Pause(msk(9, 12), msk(9, 12, 30)),  # touches the previous one
        )
    )
    assert result.paused_business == 2 * H + 30 * MIN  # 10:00-12:30, not 3 h
    assert codes(result).count("pause") == 1
    pause = step(result, "pause")
    assert datetime.fromisoformat(pause["started_at"]) == msk(9, 10)
    assert datetime.fromisoformat(pause["ended_at"]) == msk(9, 12, 30)
    assert result.resolution_due == msk(10, 11, 30)


def test_pause_before_registration_is_ignored() -> None:
    result = compute(pauses=(Pause(msk(6, 10), msk(6, 12)),))
    assert result.resolution_due == msk(9, 18)
    assert result.paused_business == ZERO
    assert "pause_ignored" in codes(result)
    assert "pause" not in codes(result)


def test_pause_straddling_registration_counts_from_registration() -> None:
    result = compute(pauses=(Pause(msk(6, 10), msk(9, 10)),))
    assert result.paused_business == H
    assert step(result, "pause")["clipped"] == "true"
    assert result.resolution_due == msk(10, 10)


def test_open_pause_is_measured_until_now_and_marked_provisional() -> None:
    result = compute(pauses=(Pause(msk(9, 10), None),), now=msk(9, 13))
    assert result.paused_business == 3 * H
    assert result.resolution_due == msk(10, 12)
    assert result.response_due == msk(9, 14)
    pause = step(result, "pause")
    assert pause["open"] == "true"
    assert datetime.fromisoformat(pause["ended_at"]) == msk(9, 13)
    assert step(result, "provisional")["now"] == msk(9, 13).astimezone(UTC).isoformat()
    later = compute(pauses=(Pause(msk(9, 10), None),), now=msk(9, 15))
    assert later.resolution_due == msk(10, 14)  # keeps moving while the wait lasts


def test_open_pause_after_every_due_time_is_not_provisional() -> None:
    result = compute(pauses=(Pause(msk(11, 10), None),), now=msk(11, 11))
    assert result.resolution_due == msk(9, 18)
    assert "provisional" not in codes(result)
    assert result.paused_business == H


def test_open_pause_with_now_before_its_start_counts_as_empty() -> None:
    result = compute(pauses=(Pause(msk(9, 10), None),), now=msk(9, 9, 59))
    assert result.paused_business == ZERO
    assert result.resolution_due == msk(9, 18)


def test_open_pause_requires_now() -> None:
    with pytest.raises(ValueError, match="now"):
        compute(pauses=(Pause(msk(9, 10), None),))


def test_pause_ending_exactly_when_due_time_would_be_reached() -> None:
    # Response (2 h) is reached at 11:00; a wait starting right then does not move it.
    result = compute(pauses=(Pause(msk(9, 11), msk(9, 12)),))
    assert result.response_due == msk(9, 11)
    assert step(result, "response_due")["paused"] == "PT0S"
    assert result.resolution_due == msk(10, 10)


# -- reminders ---------------------------------------------------------------------------


def test_reminder_by_share() -> None:
    rule = TargetRule((), None, response=2 * H, resolution=8 * H, reminder_share=0.75)
    result = compute(rule=rule)
    assert result.reminder_at == msk(9, 15)
    assert result.response_reminder_at == msk(9, 10, 30)
    reminder = step(result, "reminder")
    assert reminder["basis"] == "share"
    assert reminder["share"] == "0.75"
    assert reminder["elapsed"] == "PT6H"


def test_reminder_by_absolute_lead() -> None:
    rule = TargetRule((), None, response=30 * MIN, resolution=9 * H, reminder_before=H)
    result = compute(registered_at=msk(6, 17), rule=rule)  # Friday 17:00
    assert result.resolution_due == msk(9, 17)
    assert result.reminder_at == msk(9, 16)
    # The lead exceeds the 30 min response target: remind at registration.
    assert result.response_reminder_at == msk(6, 17)
    assert step(result, "response_reminder")["clamped"] == "true"
    assert step(result, "reminder")["clamped"] == "false"
    assert step(result, "reminder")["before"] == "PT1H"


def test_reminders_move_with_pauses() -> None:
    rule = TargetRule((), None, response=2 * H, resolution=8 * H, reminder_before=2 * H)
    result = compute(rule=rule, pauses=(Pause(msk(9, 10), msk(9, 11)),))
    assert result.reminder_at == msk(9, 16)
    assert result.resolution_due == msk(9, 18)


def test_reminder_on_a_weekend_registration_with_zero_lead_is_at_registration() -> None:
    rule = TargetRule((), None, response=H, resolution=H, reminder_before=2 * H)
    result = compute(registered_at=msk(7, 12), rule=rule)
    assert result.reminder_at == msk(7, 12)
    assert result.resolution_due == msk(9, 10)


# -- protocol contents -------------------------------------------------------------------


def test_protocol_names_contract_rule_calendar_and_arithmetic() -> None:
    cal = WorkingCalendar.office_hours(
        "Europe/Moscow", time(9), time(18), holidays=[date(2026, 3, 10), date(2026, 5, 1)]
    )
    result = compute(registered_at=msk(9, 17), calendar=cal)
    assert step(result, "contract") == {"name": "Standard", "version": "2"}
    assert step(result, "rule") == {
        "category": "fault",
        "priority": "any",
        "response": "PT2H",
        "resolution": "PT9H",
        "incident_category": "fault/software",
        "incident_priority": "high",
    }
    calendar = step(result, "calendar")
    assert calendar["hours"] == "1-5 09:00-18:00"
    assert calendar["holidays"] == "2"
    assert calendar["holidays_applied"] == "2026-03-10"
    assert calendar["business_day"] == "PT9H"
    assert result.resolution_due == msk(11, 17)
    assert step(result, "registered")["at"] == "2026-03-09T14:00:00+00:00"


def test_all_params_are_strings() -> None:
    rule = TargetRule((), Priority.HIGH, 2 * H, 9 * H, reminder_share=0.5)
    result = compute(
        rule=rule,
        pauses=(Pause(msk(6, 9), msk(6, 10)), Pause(msk(9, 10), None)),
        now=msk(9, 12),
    )
    for protocol_step in result.steps:
        assert all(isinstance(v, str) for v in protocol_step.params.values())
    assert step(result, "rule")["priority"] == "high"


# -- validation --------------------------------------------------------------------------


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before its started_at"):
        Pause(msk(9, 12), msk(9, 11))


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="started_at"):
        Pause(datetime(2026, 3, 9, 10), None)
    with pytest.raises(ValueError, match="ended_at"):
        Pause(msk(9, 10), datetime(2026, 3, 9, 11))
    with pytest.raises(ValueError, match="registered_at"):
        compute(registered_at=datetime(2026, 3, 9, 9))
    with pytest.raises(ValueError, match="now"):
        compute(now=datetime(2026, 3, 9, 9))


def test_input_normalises_wire_values() -> None:
    inp = DeadlineInput(
        registered_at=msk(9, 9),
        calendar=office,
        calendar_name="c",
        rule=PLAIN,
        contract_name="Standard",
        contract_version=1,
        category_path=["fault"],  # type: ignore[arg-type]
        priority="high",  # type: ignore[arg-type]
        pauses=[Pause(msk(9, 10), msk(9, 11))],  # type: ignore[arg-type]
    )
    assert inp.priority is Priority.HIGH
    assert inp.category_path == ("fault",)
    assert isinstance(inp.pauses, tuple)


# -- properties --------------------------------------------------------------------------

berlin_office = WorkingCalendar(
    "Europe/Berlin",
    {
        **{d: ((time(9), time(13)), (time(14), time(18))) for d in range(5)},
        6: ((time(1), time(5)),),
    },
)
starts = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=ZERO, max_value=timedelta(days=4))
pause_specs = st.lists(st.tuples(st.timedeltas(-timedelta(days=2), timedelta(days=10)), spans))
targets = st.timedeltas(min_value=MIN, max_value=timedelta(hours=60))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([office, berlin_office]),
    starts,
    targets,
    targets,
    pause_specs,
)
def test_due_times_accumulate_exactly_the_target_of_unpaused_time(
    cal: WorkingCalendar,
    registered: datetime,
    response: timedelta,
    resolution: timedelta,
    specs: list[tuple[timedelta, timedelta]],
) -> None:
    pauses = tuple(Pause(registered + offset, registered + offset + span) for offset, span in specs)
    rule = TargetRule((), None, response=response, resolution=resolution)
    result = compute(registered_at=registered, rule=rule, pauses=pauses, calendar=cal)
    for code, target, due in (
        ("response_due", response, result.response_due),
        ("resolution_due", resolution, result.resolution_due),
    ):
        paused = parse_iso_duration(step(result, code)["paused"])
        # registration + target + paused = due, in business time ...
        assert cal.between(registered, due) == target + paused
        assert cal.add(registered, target + paused) == due
        # ... and "paused" is exactly the business time waited on the client before due.
        waited = _paused_before(cal, registered, pauses, due)
        assert paused == waited
        assert due >= cal.add(registered, target)
    assert result.paused_business == _paused_before(cal, registered, pauses, None)
    # Order of the pauses is irrelevant.
    shuffled = compute(registered_at=registered, rule=rule, pauses=pauses[::-1], calendar=cal)
    assert shuffled.resolution_due == result.resolution_due


def _paused_before(
    cal: WorkingCalendar, registered: datetime, pauses: tuple[Pause, ...], until: datetime | None
) -> timedelta:
    """Reference: business time covered by the union of waits after registration."""
    bounds = sorted(
        (max(p.started_at, registered), p.ended_at)
        for p in pauses
        if p.ended_at is not None and p.ended_at > registered
    )
    merged: list[list[datetime]] = []
    for start, end in bounds:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    total = ZERO
    for start, end in merged:
        if until is not None:
            end = min(end, until)
        total += cal.between(start, end)
    return total
