"""WorkingCalendar: hand-checkable cases, DST, validation and algebraic properties."""

from __future__ import annotations

import copy
import pickle
import time as clock
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sla.domain import END_OF_DAY, CalendarError, WorkingCalendar

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)
WEEKDAYS = range(5)

# 2026: Mon 2 Mar, Fri 6 Mar, Sat 7 Mar, Mon 9 Mar, Tue 10 Mar.
office = WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))


def msk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def berlin(month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


# -- hand-computed cases ---------------------------------------------------------------


def test_friday_evening_plus_two_hours_is_monday_ten() -> None:
    assert office.add(msk(6, 17), 2 * H) == msk(9, 10)


def test_result_is_aware_utc() -> None:
    result = office.add(msk(6, 17), 2 * H)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)


def test_start_on_saturday_counts_from_monday_opening() -> None:
    assert office.add(msk(7, 12), H) == msk(9, 10)
    assert office.between(msk(7, 0), msk(9, 0)) == timedelta(0)


def test_start_before_opening() -> None:
    assert office.add(msk(9, 7, 30), 30 * MIN) == msk(9, 9, 30)


def test_start_inside_hours() -> None:
    assert office.add(msk(9, 9, 15), 8 * H) == msk(9, 17, 15)


def test_duration_used_up_at_closing_returns_the_closing_instant() -> None:
    assert office.add(msk(9, 9), 9 * H) == msk(9, 18)
    assert office.add(msk(9, 9), 9 * H + US) == msk(10, 9) + US


def test_zero_duration_returns_start_even_when_closed() -> None:
    assert office.add(msk(7, 12), timedelta(0)) == msk(7, 12)


def test_whole_week_is_45_hours() -> None:
    assert office.between(msk(2, 0), msk(9, 0)) == 45 * H
    assert office.add(msk(2, 9), 45 * H) == msk(6, 18)


def test_holiday_in_the_middle_is_skipped() -> None:
    cal = WorkingCalendar.office_hours(
        "Europe/Moscow", time(9), time(18), holidays=[date(2026, 3, 10)]
    )
    assert cal.add(msk(9, 17), 2 * H) == msk(11, 10)
    assert cal.between(msk(9, 9), msk(12, 9)) == 18 * H
    assert not cal.is_working(msk(10, 12))
    assert cal.holidays_between(msk(9, 9), msk(12, 9)) == (date(2026, 3, 10),)


def test_several_intervals_a_day() -> None:
    cal = WorkingCalendar(
        "Europe/Moscow",
        {day: ((time(14), time(18)), (time(9), time(13))) for day in WEEKDAYS},  # unsorted
    )
    assert cal.weekly_hours[0] == ((time(9), time(13)), (time(14), time(18)))
    assert cal.add(msk(9, 12), 2 * H) == msk(9, 15)
    assert cal.add(msk(9, 13, 30), H) == msk(9, 15)  # lunch does not count
    assert cal.add(msk(9, 12, 30), 30 * MIN) == msk(9, 13)  # exact end, not 14:00
    assert cal.between(msk(9, 0), msk(10, 0)) == 8 * H
    assert cal.business_day() == 8 * H
    assert not cal.is_working(msk(9, 13))
    assert cal.is_working(msk(9, 14))
    assert not cal.is_working(msk(9, 18))
    assert cal.is_working(msk(9, 9))


def test_touching_intervals_and_window_until_midnight() -> None:
    cal = WorkingCalendar(
        "Europe/Moscow",
        {0: ((time(20), time(22)), (time(22), END_OF_DAY)), 1: ((time(0), time(2)),)},
    )
    assert cal.add(msk(9, 21), 3 * H) == msk(10, 0)
    assert cal.add(msk(9, 23), 2 * H) == msk(10, 1)  # continuous across midnight
    assert cal.between(msk(9, 0), msk(11, 0)) == 6 * H
    assert cal.weekly_summary() == "1 20:00-22:00,22:00-24:00; 2 00:00-02:00"


def test_twenty_four_seven() -> None:
    cal = WorkingCalendar.twenty_four_seven("Europe/Berlin")
    start = berlin(3, 28, 12)
    # Real elapsed time across the spring-forward (Python's aware "+" is wall-clock time).
    assert cal.add(start, 30 * H) == start.astimezone(UTC) + 30 * H
    assert cal.add(start, 30 * H) == berlin(3, 29, 19)
    assert cal.between(start, berlin(3, 29, 12)) == 23 * H
    assert cal.between(start, start - H) == timedelta(0)
    assert cal.is_working(berlin(3, 29, 2, 30))
    assert cal.business_day() == 24 * H
    assert cal.weekly_summary() == "24/7"
    assert WorkingCalendar.twenty_four_seven().time_zone == "UTC"


def test_between_is_zero_for_empty_or_reversed_range() -> None:
    assert office.between(msk(9, 12), msk(9, 12)) == timedelta(0)
    assert office.between(msk(9, 12), msk(9, 10)) == timedelta(0)


def test_inputs_in_other_zones_are_instants() -> None:
    utc_start = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # 17:00 in Moscow
    plus_five = datetime(2026, 3, 6, 19, 0, tzinfo=timezone(timedelta(hours=5)))  # the same
    assert office.add(utc_start, 2 * H) == msk(9, 10)
    assert office.add(plus_five, 2 * H) == msk(9, 10)


# -- daylight saving time (Berlin: 29 Mar 2026 02:00 -> 03:00, 25 Oct 03:00 -> 02:00) --

all_day = WorkingCalendar("Europe/Berlin", {d: ((time(0), END_OF_DAY),) for d in range(7)})
night = WorkingCalendar("Europe/Berlin", {d: ((time(1), time(5)),) for d in range(7)})


def test_full_days_are_23_and_25_hours_on_dst_sundays() -> None:
    assert all_day.between(berlin(3, 29, 0), berlin(3, 30, 0)) == 23 * H
    assert all_day.between(berlin(3, 28, 0), berlin(3, 29, 0)) == 24 * H
    assert all_day.between(berlin(10, 25, 0), berlin(10, 26, 0)) == 25 * H


def test_night_window_loses_the_skipped_hour() -> None:
    assert night.between(berlin(3, 29, 0), berlin(3, 30, 0)) == 3 * H
    # 01:00 CET + 2 h of real time: 02:00 CET is 03:00 CEST, so 04:00 CEST.
    assert night.add(berlin(3, 29, 1), 2 * H) == berlin(3, 29, 4)
    assert night.add(berlin(3, 29, 1), 3 * H) == berlin(3, 29, 5)


def test_night_window_gains_the_repeated_hour() -> None:
    assert night.between(berlin(10, 25, 0), berlin(10, 26, 0)) == 5 * H
    # 01:00 CEST + 3 h: 02:00 CEST, 02:00 CET (the repeat), 03:00 CET.
    result = night.add(berlin(10, 25, 1), 3 * H)
    assert result == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert result.astimezone(BERLIN).hour == 3
    # Both occurrences of 02:30 are working instants.
    assert night.is_working(berlin(10, 25, 2, 30, fold=0))
    assert night.is_working(berlin(10, 25, 2, 30, fold=1))


def test_window_boundary_inside_the_skipped_hour_starts_at_the_jump() -> None:
    cal = WorkingCalendar("Europe/Berlin", {6: ((time(2, 30), time(5)),)})
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET == 03:00 CEST
    assert cal.add(berlin(3, 29, 0), MIN) == jump + MIN
    assert cal.between(berlin(3, 29, 0), berlin(3, 30, 0)) == 2 * H


def test_window_inside_the_skipped_hour_has_no_time_that_day() -> None:
    cal = WorkingCalendar("Europe/Berlin", {6: ((time(2, 10), time(2, 50)),)})
    assert cal.between(berlin(3, 29, 0), berlin(3, 30, 0)) == timedelta(0)
    assert cal.between(berlin(3, 22, 0), berlin(3, 23, 0)) == 40 * MIN
    assert cal.add(berlin(3, 28, 12), 10 * MIN) == berlin(4, 5, 2, 20)


def test_window_boundary_inside_the_repeated_hour_uses_its_first_occurrence() -> None:
    cal = WorkingCalendar("Europe/Berlin", {6: ((time(0), time(2, 30)), (time(2, 30), time(4)))})
    # Compare in UTC: PEP 495 makes "==" across zones False for a repeated wall time.
    first_0230 = berlin(10, 25, 2, 30, fold=0).astimezone(UTC)
    assert first_0230 == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert cal.add(berlin(10, 25, 0), 150 * MIN) == first_0230
    assert cal.between(berlin(10, 25, 0), first_0230) == 150 * MIN
    assert cal.between(berlin(10, 25, 0), berlin(10, 26, 0)) == 5 * H


def test_office_hours_across_dst_are_nine_real_hours() -> None:
    cal = WorkingCalendar.office_hours("Europe/Berlin", time(9), time(18), weekdays=range(7))
    assert cal.between(berlin(3, 28, 0), berlin(3, 31, 0)) == 27 * H
    assert cal.add(berlin(3, 28, 17), 2 * H) == berlin(3, 29, 10)


# -- business day ------------------------------------------------------------------------


def test_business_day_nine_to_six() -> None:
    assert office.business_day() == 9 * H


def test_business_day_is_the_most_common_day_length() -> None:
    cal = WorkingCalendar(
        "Europe/Moscow",
        {**{d: ((time(9), time(18)),) for d in range(4)}, 4: ((time(9), time(16)),)},
    )
    assert cal.business_day() == 9 * H


def test_business_day_tie_goes_to_the_longest_day() -> None:
    cal = WorkingCalendar(
        "Europe/Moscow",
        {0: ((time(9), time(15)),), 1: ((time(9), time(15)),), 2: ((time(9), time(18)),)}
        | {3: ((time(9), time(18)),)},
    )
    assert cal.business_day() == 9 * H


def test_business_day_counts_until_midnight_as_24_00() -> None:
    assert all_day.business_day() == 24 * H


# -- summary, equality -------------------------------------------------------------------


def test_weekly_summary_groups_consecutive_identical_days() -> None:
    cal = WorkingCalendar(
        "Europe/Moscow",
        {
            **{d: ((time(9), time(18)),) for d in WEEKDAYS},
            5: ((time(10), time(14)),),
            6: (),
        },
    )
    assert cal.weekly_summary() == "1-5 09:00-18:00; 6 10:00-14:00"
    assert 6 not in cal.weekly_hours  # empty days are dropped


def test_equal_calendars_compare_and_hash_equal() -> None:
    again = WorkingCalendar(
        "Europe/Moscow", {d: [(time(9), time(18))] for d in WEEKDAYS}, holidays=frozenset()
    )
    assert again == office
    assert hash(again) == hash(office)
    assert office != WorkingCalendar.office_hours("Europe/Berlin", time(9), time(18))


def test_calendars_pickle_and_copy() -> None:
    cal = WorkingCalendar.office_hours(
        "Europe/Berlin", time(9), time(18), holidays=[date(2026, 5, 1)]
    )
    for clone in (pickle.loads(pickle.dumps(cal)), copy.deepcopy(cal), copy.copy(cal)):
        assert clone == cal
        assert clone.add(berlin(4, 30, 17), 2 * H) == cal.add(berlin(4, 30, 17), 2 * H)
    assert pickle.loads(pickle.dumps(all_day)) == all_day
    assert copy.deepcopy(WorkingCalendar.twenty_four_seven()).always_open


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus", "weekly_hours": {0: ((time(9), time(18)),)}}, "time_zone"),
        ({"time_zone": "", "weekly_hours": {0: ((time(9), time(18)),)}}, "time_zone"),
        (
            {"time_zone": "UTC", "weekly_hours": {0: ((time(9), time(13)), (time(12), time(18)))}},
            "weekly_hours",
        ),
        ({"time_zone": "UTC", "weekly_hours": {0: ((time(18), time(9)),)}}, "weekly_hours"),
        ({"time_zone": "UTC", "weekly_hours": {0: ((time(9), time(9)),)}}, "weekly_hours"),
        ({"time_zone": "UTC", "weekly_hours": {0: ((time(22), time(0)),)}}, "END_OF_DAY"),
        ({"time_zone": "UTC", "weekly_hours": {}}, "weekly_hours"),
        ({"time_zone": "UTC", "weekly_hours": {0: ()}}, "weekly_hours"),
        ({"time_zone": "UTC", "weekly_hours": {7: ((time(9), time(18)),)}}, "weekly_hours"),
        ({"time_zone": "UTC", "weekly_hours": {0: ((time(9),),)}}, "weekly_hours"),
        (
            {"time_zone": "UTC", "weekly_hours": {0: ((time(9, tzinfo=UTC), time(18)),)}},
            "weekly_hours",
        ),
        (
            {
                "time_zone": "UTC",
                "weekly_hours": {0: ((time(9), time(18)),)},
                "holidays": frozenset({datetime(2026, 1, 1)}),
            },
            "holidays",
        ),
        (
            {"time_zone": "UTC", "weekly_hours": {0: ((time(9), time(18)),)}, "always_open": True},
            "weekly_hours",
        ),
        (
            {
                "time_zone": "UTC",
                "weekly_hours": {},
                "holidays": frozenset({date(2026, 1, 1)}),
                "always_open": True,
            },
            "holidays",
        ),
    ],
)
def test_invalid_calendars_are_rejected_naming_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(CalendarError, match=field):
        WorkingCalendar(**kwargs)


def test_calendar_error_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 9, 10)
    with pytest.raises(ValueError, match="start"):
        office.add(naive, H)
    with pytest.raises(ValueError, match="start"):
        office.between(naive, msk(9, 12))
    with pytest.raises(ValueError, match="end"):
        office.between(msk(9, 12), naive)
    with pytest.raises(ValueError, match="instant"):
        office.is_working(naive)
    with pytest.raises(ValueError, match="naive"):
        WorkingCalendar.twenty_four_seven().add(naive, H)


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        office.add(msk(9, 10), -H)


# -- performance -------------------------------------------------------------------------


def test_long_durations_are_fast() -> None:
    cal = WorkingCalendar.office_hours(
        "Europe/Berlin", time(9), time(18), holidays=[date(2026, 5, 1), date(2026, 12, 25)]
    )
    start = berlin(1, 5, 9)
    began = clock.perf_counter()
    for _ in range(20):
        due = cal.add(start, 1000 * H)
    per_call = (clock.perf_counter() - began) / 20
    assert cal.between(start, due) == 1000 * H
    assert per_call < 0.02  # measured well under 1 ms; generous for slow CI machines
    later = cal.add(start, 2000 * H)  # 2000 h = 222 days of 9 h, about 44 weeks
    assert later == berlin(11, 12, 11)


# -- properties --------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    office,
    WorkingCalendar(
        "Europe/Berlin",
        {
            **{d: ((time(9), time(13)), (time(14), time(18))) for d in WEEKDAYS},
            6: ((time(1), time(5)),),  # Sunday night: both 2026 DST changes fall into it
        },
        holidays=frozenset({date(2026, 5, 1), date(2026, 12, 25), date(2025, 12, 31)}),
    ),
    all_day,
    night,
    WorkingCalendar("Europe/Berlin", {6: ((time(2, 30), time(5)),), 2: ((time(12), time(13)),)}),
    # Chile changes its clocks at midnight; windows touch across midnight.
    WorkingCalendar(
        "America/Santiago",
        {
            5: ((time(22), END_OF_DAY),),
            6: ((time(0), time(2)), (time(23), END_OF_DAY)),
            0: ((time(0), time(9)),),
        },
    ),
    # Lord Howe Island shifts by half an hour.
    WorkingCalendar("Australia/Lord_Howe", {6: ((time(1), time(3)),), 3: ((time(9), time(17)),)}),
    WorkingCalendar.twenty_four_seven("America/New_York"),
]

# Instants near the 2025-2027 DST changes of the zones above, to hit them often.
_TRANSITIONS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2026, 4, 5, 3, tzinfo=UTC),
    datetime(2026, 9, 6, 4, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, tzinfo=UTC),
]

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda base, shift: base + shift,
        st.sampled_from(_TRANSITIONS),
        st.timedeltas(min_value=-timedelta(days=3), max_value=timedelta(days=3)),
    ),
)
durations = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=6)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=400)),
    st.sampled_from([timedelta(0), H, 4 * H, 9 * H, 24 * H, 45 * H]),
)
calendars = st.sampled_from(PROPERTY_CALENDARS)
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_in_duration(
    cal: WorkingCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)


@PROPERTY_SETTINGS
@given(calendars, instants, durations)
def test_between_inverts_add(cal: WorkingCalendar, start: datetime, d: timedelta) -> None:
    assert cal.between(start, cal.add(start, d)) == d


@PROPERTY_SETTINGS
@given(calendars, instants, durations, durations)
def test_add_composes(cal: WorkingCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@PROPERTY_SETTINGS
@given(calendars, instants, durations.filter(lambda d: d > timedelta(0)))
def test_add_lands_on_working_time_or_a_closing_and_is_earliest(
    cal: WorkingCalendar, start: datetime, d: timedelta
) -> None:
    result = cal.add(start, d)
    assert result > start
    # Working instant, or the exact end of a window (the microsecond before it worked).
    assert cal.is_working(result) or cal.between(result - US, result) == US
    # Earliest such instant: a microsecond earlier, not enough had elapsed.
    assert cal.between(start, result - US) < d


@PROPERTY_SETTINGS
@given(calendars, instants, instants, instants)
def test_between_is_additive_and_bounded(
    cal: WorkingCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    start, mid, end = sorted((a, b, c))
    total = cal.between(start, end)
    assert total == cal.between(start, mid) + cal.between(mid, end)
    assert timedelta(0) <= total <= end - start


@PROPERTY_SETTINGS
@given(calendars, instants)
def test_is_working_agrees_with_between(cal: WorkingCalendar, instant: datetime) -> None:
    assert cal.is_working(instant) == (cal.between(instant, instant + US) == US)
