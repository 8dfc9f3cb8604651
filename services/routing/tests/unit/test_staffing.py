"""The staffing rules of SPEC §15: hours of the week, online time and Erlang C."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
