"""Quota arithmetic: contract months across month ends, time zones and clock changes;
the terms that apply; what a count comes to under each policy; when a clock starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from desk_contracts.enums import Channel, QuotaPolicy
from hypothesis import given, settings
from hypothesis import strategies as st
from sla.domain import WorkingCalendar
from sla.domain.quotas import (
    ACCEPTED,
    OVER_QUOTA,
    REFUSED,
    WARNED,
    ChannelTerm,
    applicable_term,
    clock_start,
    contract_month,
    decide,
    left,
    month_of,
    unlimited,
)

REGIONS = ("Europe/", "America/", "Asia/", "Australia/", "Pacific/", "Africa/")
ZONES = [
    *sorted(z for z in available_timezones() if z.startswith(REGIONS))[::7],
    "UTC",
    "Europe/Moscow",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
]

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
)


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


# --- contract months -------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_an_instant_lies_in_its_local_month(instant: datetime, zone: str) -> None:
    month = contract_month(instant, zone)
    assert month.start <= instant < month.end
    here = local(instant, zone)
    assert month.first == date(here.year, here.month, 1)
    # The bounds are the first instants of this month and of the next, locally.
    assert local(month.start, zone).date() >= month.first
    assert local(month.start - timedelta(seconds=1), zone).date() < month.first
    after = local(month.end, zone).date()
    assert (after.year, after.month) != (month.first.year, month.first.month)
    assert local(month.end - timedelta(seconds=1), zone).date().month == month.first.month


@settings(max_examples=200, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_months_follow_each_other_without_a_gap(instant: datetime, zone: str) -> None:
    month = contract_month(instant, zone)
    following = contract_month(month.end, zone)
    assert following.start == month.end
    assert month_of(month.first, zone) == month
    assert month.renews_at == month.end


def test_the_last_evening_of_january_in_moscow_is_already_february_in_utc_terms() -> None:
    # 31 Jan 22:30 UTC is 1 Feb 01:30 in Moscow (UTC+3).
    month = contract_month(datetime(2026, 1, 31, 22, 30, tzinfo=UTC), "Europe/Moscow")
    assert month.first == date(2026, 2, 1)
    assert month.start == datetime(2026, 1, 31, 21, 0, tzinfo=UTC)
    assert month.renews_at == datetime(2026, 2, 28, 21, 0, tzinfo=UTC)


def test_a_month_in_utc_and_in_new_york_differ_at_the_month_end() -> None:
    instant = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    assert contract_month(instant, "UTC").first == date(2026, 3, 1)
    assert contract_month(instant, "America/New_York").first == date(2026, 2, 1)


def test_december_renews_on_the_first_of_january() -> None:
    month = contract_month(datetime(2026, 12, 15, tzinfo=UTC), "UTC")
    assert month.renews_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_a_month_starting_in_a_dst_gap_starts_when_the_clocks_jump() -> None:
    # Find a first of a month whose local midnight a clock change skipped.
    found = None
    for zone in ("America/Havana", "America/Santiago", "Asia/Beirut", "America/Asuncion"):
        tz = ZoneInfo(zone)
        for year in range(1990, 2030):
            for month in range(1, 13):
                wall = datetime(year, month, 1)
                roundtrip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
                if roundtrip.replace(tzinfo=None) != wall:
                    found = (zone, date(year, month, 1))
                    break
            if found:
                break
        if found:
            break
    assert found is not None, "the zone database has a first of a month skipped at midnight"
    zone, first = found
    month = month_of(first, zone)
    here = local(month.start, zone)
    assert here.date() == first
    assert here.time() > time(0, 0)
    assert local(month.start - timedelta(seconds=1), zone).date() < first


# --- which terms apply -----------------------------------------------------------------

paths = st.lists(st.sampled_from(["a", "b", "c"]), max_size=3).map(tuple)


@given(request=paths, offered=st.lists(paths, max_size=6, unique=True))
def test_the_deepest_matching_terms_apply(
    request: tuple[str, ...], offered: list[tuple[str, ...]]
) -> None:
    terms = tuple(ChannelTerm(Channel.EMAIL, path, per_month=i) for i, path in enumerate(offered))
    other = (ChannelTerm(Channel.PHONE, request, per_month=99),)
    chosen = applicable_term(terms + other, Channel.EMAIL, request)
    matching = [t for t in terms if request[: len(t.category_path)] == t.category_path]
    if not matching:
        assert chosen == unlimited(Channel.EMAIL)
    else:
        assert chosen in matching
        assert len(chosen.category_path) == max(len(t.category_path) for t in matching)


def test_a_channel_without_terms_is_unlimited() -> None:
    term = applicable_term((), Channel.CHAT, ("x",))
    assert term.included
    assert term.allowance is None
    assert decide(term, 10_000).outcome == ACCEPTED


# --- decisions -------------------------------------------------------------------------

policies = st.sampled_from(list(QuotaPolicy))


@given(
    quota=st.integers(min_value=0, max_value=50),
    used=st.integers(min_value=0, max_value=100),
    policy=policies,
    warned=st.booleans(),
)
def test_a_decision_follows_the_quota_and_the_policy(
    quota: int, used: int, policy: QuotaPolicy, warned: bool
) -> None:
    term = ChannelTerm(Channel.EMAIL, per_month=quota, policy=policy)
    decision = decide(term, used, warned=warned)
    if used < quota:
        assert decision.outcome == ACCEPTED
        assert decision.counted
        assert decision.granted
        assert not decision.over_quota
        assert not decision.tell
    elif policy is QuotaPolicy.REFUSE:
        assert decision.outcome == REFUSED
        assert not decision.counted
        assert not decision.granted
    elif policy is QuotaPolicy.WARN:
        assert decision.outcome == WARNED
        assert decision.over_quota
        assert decision.counted
        assert decision.tell is (not warned)
    else:
        assert decision.outcome == OVER_QUOTA
        assert decision.over_quota
        assert decision.counted
        assert not decision.tell
    assert left(term, used) == max(quota - used, 0)


@given(used=st.integers(min_value=0, max_value=100), policy=policies)
def test_a_channel_not_included_allows_nothing(used: int, policy: QuotaPolicy) -> None:
    term = ChannelTerm(Channel.ONSITE, included=False, per_month=10, policy=policy)
    assert decide(term, used).over_quota
    assert left(term, used) == 0


def test_the_sixteenth_email_of_fifteen_is_refused_and_the_fifteenth_is_not() -> None:
    term = ChannelTerm(Channel.EMAIL, per_month=15, policy=QuotaPolicy.REFUSE)
    assert decide(term, 14).granted
    assert not decide(term, 15).granted


def test_warn_tells_once_a_month() -> None:
    term = ChannelTerm(Channel.EMAIL, per_month=1, policy=QuotaPolicy.WARN)
    assert decide(term, 1).tell
    assert not decide(term, 2, warned=True).tell


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="used"):
        decide(unlimited(Channel.API), -1)


# --- when the clock starts -------------------------------------------------------------


def phone_hours() -> WorkingCalendar:
    return WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))


def test_a_phone_request_at_20_00_starts_its_clock_at_09_00_the_next_working_day() -> None:
    calendar = phone_hours()
    # Wednesday 2 Dec 2026, 20:00 in Moscow (17:00 UTC).
    registered = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    started = clock_start(registered, calendar.opening(registered))
    assert local(started, "Europe/Moscow") == datetime(
        2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Moscow")
    )


def test_a_friday_evening_request_starts_on_monday_morning() -> None:
    calendar = phone_hours()
    registered = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Friday 20:00 Moscow
    started = clock_start(registered, calendar.opening(registered))
    assert started == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_inside_the_hours_the_clock_starts_at_registration() -> None:
    calendar = phone_hours()
    registered = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 11:00 Moscow
    assert clock_start(registered, calendar.opening(registered)) == registered
    assert clock_start(registered, None) == registered


@settings(max_examples=200, deadline=None)
@given(instant=instants)
def test_the_opening_is_the_first_working_instant(instant: datetime) -> None:
    calendar = phone_hours()
    opening = calendar.opening(instant)
    assert opening >= instant
    assert calendar.is_working(opening)
    assert calendar.between(instant, opening) == timedelta(0)
