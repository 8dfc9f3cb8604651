"""The staffing rules of SPEC §15: hours of the week, online time and Erlang C."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from routing.staffing import (
    HOURS_OF_WEEK,
    Arrival,
    agents_needed,
    hour_occurrences,
    hour_of_week,
    most_understaffed,
    observed_from,
    online_hours,
    recommend,
    split_by_hour,
)

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")  # a half-hour offset
ZONES = st.sampled_from([UTC_ZONE := ZoneInfo("UTC"), MOSCOW, BERLIN, KOLKATA])
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
)


def test_the_week_starts_on_monday_midnight_local() -> None:
    assert hour_of_week(datetime(2026, 11, 1, 21, 0, tzinfo=UTC), MOSCOW) == 0
    assert hour_of_week(datetime(2026, 11, 1, 20, 59, tzinfo=UTC), MOSCOW) == 167
    assert hour_of_week(MONDAY + timedelta(days=2, hours=14, minutes=30), UTC_ZONE) == 62


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        hour_of_week(datetime(2026, 11, 2, 10), MOSCOW)


@given(start=instants, minutes=st.integers(0, 60 * 24 * 9), zone=ZONES)
def test_splitting_keeps_every_second_and_cuts_at_hour_marks(
    start: datetime, minutes: int, zone: ZoneInfo
) -> None:
    end = start + timedelta(minutes=minutes, seconds=17)
    pieces = list(split_by_hour(start, end, zone))
    assert sum(seconds for _, seconds in pieces) == pytest.approx((end - start).total_seconds())
    assert all(0 < seconds <= 3600 for _, seconds in pieces)
    assert all(0 <= hour < HOURS_OF_WEEK for hour, _ in pieces)
    # Consecutive pieces lie in consecutive hours of the week (DST aside).
    for (a, _), (b, _) in pairwise(pieces):
        assert b in {(a + 1) % HOURS_OF_WEEK, a, (a + 2) % HOURS_OF_WEEK}


def test_a_half_hour_zone_cuts_at_its_own_hour_marks() -> None:
    # 10:00 UTC is 15:30 in Kolkata: the first piece runs to 16:00 local.
    pieces = list(
        split_by_hour(MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=11), KOLKATA)
    )
    assert pieces == [(15, 1800.0), (16, 1800.0)]


@given(weeks=st.integers(1, 9), zone=ZONES)
def test_whole_weeks_hold_each_hour_once_per_week(weeks: int, zone: ZoneInfo) -> None:
    start = datetime(2026, 1, 5, tzinfo=zone).astimezone(UTC)  # a local Monday midnight
    seen = hour_occurrences(start, start + timedelta(weeks=weeks), zone)
    assert sum(seen.values()) == pytest.approx(weeks * HOURS_OF_WEEK)
    assert set(seen) == set(range(HOURS_OF_WEEK))


def test_online_time_is_clipped_to_the_window() -> None:
    window = (MONDAY, MONDAY + timedelta(weeks=1))
    sessions = [
        (MONDAY - timedelta(hours=3), MONDAY + timedelta(hours=1, minutes=30)),
        (MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2)),
    ]
    online = online_hours(sessions, *window, UTC_ZONE)
    assert online[0] == pytest.approx(1.0)
    assert online[1] == pytest.approx(1.5)
    assert sum(online.values()) == pytest.approx(2.5)


def test_erlang_c_meets_the_published_example() -> None:
    # The classic example: 100 calls in 30 minutes (200 an hour), 3 minutes handle
    # time, 80 % answered within 20 seconds → 14 agents (88.8 % answered in time).
    assert agents_needed(200, 3, 20 / 60, 0.8) == 14
    # 360 calls an hour of 4 minutes, 80/20 → 29 agents.
    assert agents_needed(360, 4, 20 / 60, 0.8) == 29


def test_erlang_c_meets_the_textbook_formula_for_a_small_queue() -> None:
    # M/M/c with 2 Erlangs offered (120 an hour of 1 minute). The Erlang C formula
    # gives P(wait) = 4/9 with 3 agents and 4/23 with 4; the share answered within 30 s,
    # 1 − P(wait)·e^(−(c − A)·t/h), is 73.0 % with 3 agents and 93.6 % with 4.
    assert agents_needed(120, 1, 0.5, 0.70) == 3
    assert agents_needed(120, 1, 0.5, 0.80) == 4
    assert agents_needed(120, 1, 0.5, 0.93) == 4
    assert agents_needed(120, 1, 0.5, 0.94) == 5
    # Fewer agents than the offered load never suffice: with 2 Erlangs, at least 3.
    assert agents_needed(120, 1, 60, 0.05) == 3


def test_nothing_arriving_needs_nobody() -> None:
    assert agents_needed(0, 30, 60, 0.8) == 0
    assert agents_needed(5, 0, 60, 0.8) == 0


def test_agents_working_several_incidents_at_once_are_fewer() -> None:
    alone = agents_needed(12, 90, 60, 0.8)
    assert agents_needed(12, 90, 60, 0.8, concurrency=3) == -(-alone // 3)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1])
def test_a_service_level_outside_0_1_is_refused(level: float) -> None:
    with pytest.raises(ValueError, match="service_level"):
        agents_needed(10, 5, 1, level)


@given(
    rate=st.floats(0.1, 400),
    handle=st.floats(0.5, 240),
    within=st.floats(0.1, 240),
    level=st.floats(0.05, 0.95),
)
def test_needed_agents_carry_the_load_and_grow_with_it(
    rate: float, handle: float, within: float, level: float
) -> None:
    needed = agents_needed(rate, handle, within, level)
    load = rate * handle / 60  # Erlangs
    assert needed > load  # never fewer servers than the offered load
    assert agents_needed(rate * 2, handle, within, level) >= needed
    assert agents_needed(rate, handle, within, min(level + 0.04, 0.99)) >= needed


def test_recommend_reads_the_window_hour_by_hour() -> None:
    start, end = MONDAY, MONDAY + timedelta(weeks=2)
    # Monday 10:00–11:00 UTC: 20 incidents each week, 30 minutes of work each.
    arrivals = [
        Arrival(
            at=MONDAY + timedelta(weeks=w, hours=10, minutes=i * 3),
            handle_minutes=30.0,
            responded_within_target=i % 4 != 0,
        )
        for w in range(2)
        for i in range(20)
    ]
    # One agent online Monday 09:00–12:00 in both weeks.
    sessions = [
        (MONDAY + timedelta(weeks=w, hours=9), MONDAY + timedelta(weeks=w, hours=12))
        for w in range(2)
    ]
    hours = recommend(
        arrivals, sessions, start, end, UTC_ZONE, service_level=0.8, answer_within_minutes=60
    )
    assert len(hours) == HOURS_OF_WEEK
    ten = hours[10]
    assert (ten.weekday, ten.hour) == (0, 10)
    assert ten.arrivals == pytest.approx(20)
    assert ten.handle_minutes == pytest.approx(30)
    assert ten.online == pytest.approx(1)
    assert ten.needed == agents_needed(20, 30, 60, 0.8)
    assert ten.needed > 10  # 20 an hour of 30 minutes is 10 Erlangs
    assert ten.responses == 40
    assert ten.responses_within_target == pytest.approx(0.75)
    quiet = hours[30]
    assert (quiet.arrivals, quiet.needed, quiet.online) == (0, 0, 0)
    assert quiet.responses_within_target is None
    worst = most_understaffed(hours)
    assert worst[0] is ten
    assert all(h.gap is not None and h.gap < 0 for h in worst)


def test_arrivals_without_any_handle_time_have_no_recommendation() -> None:
    start, end = MONDAY, MONDAY + timedelta(weeks=1)
    unresolved = [Arrival(MONDAY + timedelta(hours=10), None, None)]
    hours = recommend(
        unresolved, [], start, end, UTC_ZONE, service_level=0.8, answer_within_minutes=30
    )
    assert hours[10].arrivals == 1
    assert (hours[10].needed, hours[10].gap) == (None, None)
    assert (hours[11].needed, hours[11].gap) == (0, 0)
    assert most_understaffed(hours) == []


def test_an_hour_with_few_handled_incidents_borrows_the_window_mean() -> None:
    start, end = MONDAY, MONDAY + timedelta(weeks=1)
    busy = [Arrival(MONDAY + timedelta(hours=10, minutes=i), 10.0, None) for i in range(10)]
    sparse = [Arrival(MONDAY + timedelta(hours=20), 1000.0, None)]
    hours = recommend(
        busy + sparse, [], start, end, UTC_ZONE, service_level=0.8, answer_within_minutes=30
    )
    window_mean = (10 * 10.0 + 1000.0) / 11
    assert hours[10].handle_minutes == pytest.approx(10.0)
    assert hours[20].handle_minutes == pytest.approx(window_mean)


# Berlin's clocks went forward on 29 March 2026 (02:00 → 03:00) and back on 25 October
# 2026 (03:00 → 02:00): Sunday 02:00 (hour 146) is missing from the one week and
# there twice in the other.
SPRING_WEEK = datetime(2026, 3, 23, tzinfo=BERLIN)
AUTUMN_WEEK = datetime(2026, 10, 19, tzinfo=BERLIN)
SUNDAY_2AM = 6 * 24 + 2


def test_a_spring_week_has_no_sunday_2am_and_an_autumn_week_has_two() -> None:
    # Instants in UTC, as the desk keeps them (Python adds days to a zoned time on the
    # wall clock, which the week's ends are).
    spring = hour_occurrences(
        SPRING_WEEK.astimezone(UTC), (SPRING_WEEK + timedelta(days=7)).astimezone(UTC), BERLIN
    )
    assert SUNDAY_2AM not in spring
    assert sum(spring.values()) == pytest.approx(167)
    autumn = hour_occurrences(
        AUTUMN_WEEK.astimezone(UTC), (AUTUMN_WEEK + timedelta(days=7)).astimezone(UTC), BERLIN
    )
    assert autumn[SUNDAY_2AM] == pytest.approx(2)
    assert sum(autumn.values()) == pytest.approx(169)
    assert all(autumn[h] == pytest.approx(1) for h in range(HOURS_OF_WEEK) if h != SUNDAY_2AM)


def test_online_across_the_change_of_clocks_is_counted_in_wall_clock_hours() -> None:
    # Online Saturday 23:00 to Sunday 04:00 local: four real hours in spring, six in
    # autumn, each in the hour the wall clock showed.
    for week, real_hours, at_two in ((SPRING_WEEK, 4, 0), (AUTUMN_WEEK, 6, 2)):
        start = datetime.combine(week.date() + timedelta(days=5), time(23), BERLIN)
        end = datetime.combine(week.date() + timedelta(days=6), time(4), BERLIN)
        online = online_hours(
            [(start.astimezone(UTC), end.astimezone(UTC))],
            week.astimezone(UTC),
            (week + timedelta(days=7)).astimezone(UTC),
            BERLIN,
        )
        assert sum(online.values()) == pytest.approx(real_hours)
        assert online.get(SUNDAY_2AM, 0) == pytest.approx(at_two)
        assert online[SUNDAY_2AM - 1] == pytest.approx(1)
        assert online[SUNDAY_2AM + 1] == pytest.approx(1)


def test_arrivals_are_averaged_over_the_hours_that_occurred_across_a_change() -> None:
    # Two weeks from the spring week: Sunday 02:00 happened once, in the second week,
    # so its one arrival is one an hour; Sunday 01:00 happened twice.
    start = SPRING_WEEK.astimezone(UTC)
    second_sunday = datetime(2026, 4, 5, tzinfo=BERLIN)
    arrivals = [
        Arrival((second_sunday + timedelta(hours=2, minutes=10)).astimezone(UTC), 20.0, True),
        Arrival((second_sunday + timedelta(hours=1, minutes=10)).astimezone(UTC), 20.0, True),
    ]
    hours = recommend(
        arrivals,
        [],
        start,
        start + timedelta(days=14) - timedelta(hours=1),
        BERLIN,
        service_level=0.8,
        answer_within_minutes=30,
    )
    assert hours[SUNDAY_2AM].arrivals == pytest.approx(1)
    assert hours[SUNDAY_2AM - 1].arrivals == pytest.approx(0.5)


def test_a_desk_younger_than_the_window_is_averaged_from_its_first_fact() -> None:
    window = MONDAY - timedelta(weeks=8)
    assert observed_from(window, None, UTC_ZONE) == window
    assert observed_from(window, window - timedelta(days=3), UTC_ZONE) == window
    first = MONDAY + timedelta(hours=9, minutes=47, seconds=5)
    assert observed_from(window, first, UTC_ZONE) == MONDAY + timedelta(hours=9)
    # The whole hour of the reader's zone: 15:47 in Kolkata starts at 15:00 there.
    kolkata = datetime(2026, 11, 2, 15, 47, tzinfo=KOLKATA)
    assert observed_from(window, kolkata, KOLKATA) == datetime(2026, 11, 2, 15, tzinfo=KOLKATA)
    # Two weeks of facts in an eight-week window: the hour is averaged over two weeks.
    arrivals = [
        Arrival(MONDAY + timedelta(weeks=w, hours=10, minutes=5), 30.0, True) for w in range(2)
    ]
    until = MONDAY + timedelta(weeks=2)
    start = observed_from(until - timedelta(weeks=8), arrivals[0].at, UTC_ZONE)
    hours = recommend(
        arrivals, [], start, until, UTC_ZONE, service_level=0.8, answer_within_minutes=60
    )
    assert hours[10].arrivals == pytest.approx(1)
