"""Staffing by load and time of day (SPEC §15) as pure functions.

The week is cut into 168 hours (Monday 00:00–01:00 is hour 0) in the time zone the head
reads the report in. From what routing records — when incidents arrived, how long each
was worked, when each agent was online — this module computes per hour of the week:

- arrivals: incidents per hour, averaged over the occurrences of that hour in the window;
- handle time: the mean time an incident was worked (assigned → resolved, without the
  time it waited on the client), of the incidents that arrived in that hour, falling back
  to the window's mean when the hour has too few to say;
- online: agents online, averaged over the hour's occurrences;
- needed: the agents that must be online so that `service_level` of the requests are
  answered within `answer_within` — Erlang C (pyworkforce), with each agent counting as
  `concurrency` servers, since an agent of the desk works several incidents at a time;
- gap: online − needed (negative: under-staffed).

An hour with arrivals but no handle time measured yet in the whole window (nothing
resolved) has no recommendation: needed and gap are None rather than a guess.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

HOURS_OF_WEEK = 168
# An hour's own handle time is used only when at least this many incidents give it.
MIN_HANDLE_SAMPLES = 5


def hour_of_week(instant: datetime, zone: ZoneInfo) -> int:
    """0 for Monday 00:00–00:59 in `zone`, … 167 for Sunday 23:00–23:59."""
    if instant.tzinfo is None:
        raise ValueError("an instant must carry its time zone")
    local = instant.astimezone(zone)
    return local.weekday() * 24 + local.hour


def _next_hour_mark(instant: datetime, zone: ZoneInfo) -> datetime:
    """The next instant at which the wall clock in `zone` shows a whole hour."""
    local = instant.astimezone(zone)
    into_hour = timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return instant + (timedelta(hours=1) - into_hour)


def split_by_hour(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[int, float]]:
    """The interval [start, end) cut at the wall clock's hour marks: (hour of week,
    seconds) pieces whose seconds add up to the interval's length."""
    if end < start:
        raise ValueError("an interval cannot end before it starts")
    cursor = start
    while cursor < end:
        mark = min(_next_hour_mark(cursor, zone), end)
        yield hour_of_week(cursor, zone), (mark - cursor).total_seconds()
        cursor = mark


def hour_occurrences(start: datetime, end: datetime, zone: ZoneInfo) -> dict[int, float]:
    """How many hours of the window fall on each hour of the week (partial hours count by
    their share)."""
    seen: defaultdict[int, float] = defaultdict(float)
    for hour, seconds in split_by_hour(start, end, zone):
        seen[hour] += seconds / 3600
    return dict(seen)


def observed_from(window_start: datetime, first_fact: datetime | None, zone: ZoneInfo) -> datetime:
    """Where the averages start: the window's start, or the whole hour (in `zone`) of the
    first fact the desk kept when that came later. A desk younger than the window is not
    averaged over weeks it was not working, which would thin the load and the agents
    alike and understate the agents needed (Erlang C is not linear in the load)."""
    if first_fact is None or first_fact <= window_start:
        return window_start
    local = first_fact.astimezone(zone)
    into_hour = timedelta(
        minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return max(window_start, first_fact - into_hour)


def online_hours(
    intervals: Iterable[tuple[datetime, datetime]],
    window_start: datetime,
    window_end: datetime,
    zone: ZoneInfo,
) -> defaultdict[int, float]:
    """Agent-hours online per hour of the week within the window (one interval per agent
    session; intervals still open end at the window's end)."""
    total: defaultdict[int, float] = defaultdict(float)
    for start, end in intervals:
        lo, hi = max(start, window_start), min(end, window_end)
        if lo >= hi:
            continue
        for hour, seconds in split_by_hour(lo, hi, zone):
            total[hour] += seconds / 3600
    return total


def agents_needed(
    arrivals_per_hour: float,
    handle_minutes: float,
    answer_within_minutes: float,
    service_level: float,
    concurrency: float = 1.0,
) -> int:
    """Agents that must be online for `service_level` of arrivals to be answered within
    `answer_within_minutes`, by Erlang C; 0 when nothing arrives."""
    if not 0 < service_level < 1:
        raise ValueError("service_level must lie strictly between 0 and 1")
    if concurrency <= 0:
        raise ValueError("concurrency must be positive")
    if arrivals_per_hour <= 0 or handle_minutes <= 0:
        return 0
    # Imported here: the library's package pulls in its scheduling solvers on import,
    # which only the staffing report needs.
    from pyworkforce.queuing import ErlangC

    erlang = ErlangC(
        transactions=arrivals_per_hour,
        aht=handle_minutes,
        asa=max(answer_within_minutes, 1e-6),
        interval=60,
    )
    servers = int(erlang.required_positions(service_level=service_level)["raw_positions"])
    return ceil(servers / concurrency)


@dataclass(frozen=True)
class StaffingHour:
    hour_of_week: int
    arrivals: float  # per hour, averaged over the window
    handle_minutes: float | None
    online: float  # agents, averaged over the window
    needed: int | None  # None: arrivals, but no handle time measured to size them by
    responses: int  # first responses given to incidents that arrived in this hour
    responses_within_target: float | None  # their share within target

    @property
    def weekday(self) -> int:
        return self.hour_of_week // 24

    @property
    def hour(self) -> int:
        return self.hour_of_week % 24

    @property
    def gap(self) -> float | None:
        return None if self.needed is None else self.online - self.needed


@dataclass(frozen=True)
class Arrival:
    at: datetime
    handle_minutes: float | None  # worked time, once resolved
    responded_within_target: bool | None  # None: no first response (or no target) yet


def recommend(
    arrivals: Iterable[Arrival],
    online_intervals: Iterable[tuple[datetime, datetime]],
    window_start: datetime,
    window_end: datetime,
    zone: ZoneInfo,
    *,
    service_level: float,
    answer_within_minutes: float,
    concurrency: float = 1.0,
) -> list[StaffingHour]:
    """The 168 hours of the week with their facts and the agents each needs."""
    if window_end <= window_start:
        raise ValueError("the window must end after it starts")
    occurrences = hour_occurrences(window_start, window_end, zone)
    counts: Counter[int] = Counter()
    handled: dict[int, list[float]] = {}
    answered: dict[int, list[bool]] = {}
    for arrival in arrivals:
        if not window_start <= arrival.at < window_end:
            continue
        hour = hour_of_week(arrival.at, zone)
        counts[hour] += 1
        if arrival.handle_minutes is not None:
            handled.setdefault(hour, []).append(arrival.handle_minutes)
        if arrival.responded_within_target is not None:
            answered.setdefault(hour, []).append(arrival.responded_within_target)
    every_handle = [m for values in handled.values() for m in values]
    overall = sum(every_handle) / len(every_handle) if every_handle else None
    online = online_hours(online_intervals, window_start, window_end, zone)

    hours = []
    for hour in range(HOURS_OF_WEEK):
        seen = occurrences.get(hour, 0.0)
        rate = counts[hour] / seen if seen else 0.0
        own = handled.get(hour, [])
        handle = sum(own) / len(own) if len(own) >= MIN_HANDLE_SAMPLES else overall
        replies = answered.get(hour, [])
        hours.append(
            StaffingHour(
                hour_of_week=hour,
                arrivals=rate,
                handle_minutes=handle,
                online=online[hour] / seen if seen else 0.0,
                needed=None
                if rate and handle is None
                else agents_needed(
                    rate, handle or 0.0, answer_within_minutes, service_level, concurrency
                ),
                responses=len(replies),
                responses_within_target=(sum(replies) / len(replies)) if replies else None,
            )
        )
    return hours


def most_understaffed(hours: Iterable[StaffingHour], limit: int = 10) -> list[StaffingHour]:
    """The hours short of agents, the largest shortage first (then the busiest)."""
    short = [(h.gap, h) for h in hours if h.gap is not None and h.gap < 0]
    short.sort(key=lambda pair: (pair[0], -pair[1].arrivals, pair[1].hour_of_week))
    return [h for _, h in short][:limit]


def arrivals_by_channel(
    arrivals: Iterable[tuple[datetime, str]], zone: ZoneInfo
) -> Mapping[int, Counter[str]]:
    """Incidents per hour of the week and channel (counts over the window)."""
    table: dict[int, Counter[str]] = {}
    for at, channel in arrivals:
        table.setdefault(hour_of_week(at, zone), Counter())[channel] += 1
    return table
