"""Business calendars: which instants count as working time, and arithmetic over them.

Working hours are local wall-clock times in the calendar's IANA time zone. Every
computation converts each working interval of each local day to real (UTC) instants and
measures real elapsed time between them, so a working window that spans a daylight saving
jump has one hour less (spring forward) or more (fall back) of real working time.

Mapping a wall-clock time to an instant uses one rule everywhere: a wall time ``t`` of a
day means *the first instant at which the local clock shows ``t`` or later*. For ordinary
times this is the only instant showing ``t``; for a time repeated by a fall-back it is its
first occurrence; for a time skipped by a spring-forward it is the instant of the jump.
The rule is monotonic, so intervals never invert: a window lying wholly inside a skipped
hour simply has no working time that day.

The walk is day by day over the day's intervals (O(days) with a few conversions per
working day), never minute by minute.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["END_OF_DAY", "CalendarError", "Interval", "WorkingCalendar", "ensure_aware"]

END_OF_DAY: time = time.max
"""Interval end meaning "until midnight" (24:00, the start of the next local day).

``time`` cannot express 24:00 and ``time(0, 0)`` as an end would read as "before the
start", so ``time.max`` (23:59:59.999999) is reserved for it and is treated as exactly
24:00, not one microsecond earlier.
"""

Interval: TypeAlias = tuple[time, time]
"""A local working window ``[start, end)``; ``end`` may be :data:`END_OF_DAY`."""

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_MIDNIGHT = time(0, 0)


class CalendarError(ValueError):
    """A calendar definition that cannot be used; the message names the offending field."""


def ensure_aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: business time is meaningless without a known instant."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value


def _utc_naive(value: datetime, name: str) -> datetime:
    """Aware datetime -> naive UTC; internal arithmetic is cheaper without tzinfo."""
    return ensure_aware(value, name).astimezone(UTC).replace(tzinfo=None)


def _load_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError(f"time_zone must be a non-empty IANA zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarError(f"time_zone {name!r} is not a known IANA time zone") from exc


def _nominal_length(interval: Interval) -> timedelta:
    """Wall-clock length of a window, ignoring DST (what a person reads off the schedule)."""
    start, end = interval
    end_td = _ONE_DAY if end == END_OF_DAY else _as_td(end)
    return end_td - _as_td(start)


def _as_td(value: time) -> timedelta:
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _normalise_day(weekday: object, raw: object) -> tuple[Interval, ...]:
    """Validate one weekday's windows and return them sorted by start."""
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise CalendarError(
            f"weekly_hours keys must be weekdays 0 (Monday) .. 6 (Sunday), got {weekday!r}"
        )
    if not isinstance(raw, Iterable):
        raise CalendarError(f"weekly_hours[{weekday}] must be a sequence of (start, end) pairs")
    intervals: list[Interval] = []
    for item in raw:
        if not isinstance(item, Sequence) or len(item) != 2:
            raise CalendarError(
                f"weekly_hours[{weekday}] must contain (start, end) pairs, got {item!r}"
            )
        start, end = item
        if not isinstance(start, time) or not isinstance(end, time):
            raise CalendarError(
                f"weekly_hours[{weekday}] interval {item!r} must consist of datetime.time values"
            )
        if start.tzinfo is not None or end.tzinfo is not None:
            raise CalendarError(
                f"weekly_hours[{weekday}] interval {item!r} must use naive local times;"
                " the zone comes from time_zone"
            )
        start, end = start.replace(fold=0), end.replace(fold=0)
        if end <= start:
            raise CalendarError(
                f"weekly_hours[{weekday}] interval {start.isoformat()}-{end.isoformat()}:"
                " end must be after start (use END_OF_DAY for 'until midnight')"
            )
        intervals.append((start, end))
    intervals.sort()
    for (_, prev_end), (next_start, _) in itertools.pairwise(intervals):
        if next_start < prev_end:
            raise CalendarError(
                f"weekly_hours[{weekday}] intervals overlap: one ends at {prev_end.isoformat()}"
                f" but the next starts at {next_start.isoformat()}"
            )
    return tuple(intervals)


@dataclass(frozen=True)
class WorkingCalendar:
    """A contract's business calendar: weekly local working hours, holidays, or 24/7.

    ``weekly_hours`` maps a weekday (0 = Monday) to its working windows ``[start, end)``
    in local wall-clock time; windows are sorted on construction and may touch but not
    overlap; an end of :data:`END_OF_DAY` means 24:00. A holiday makes the whole local day
    non-working. An ``always_open`` calendar counts every instant and takes neither hours
    nor holidays.
    """

    time_zone: str
    weekly_hours: Mapping[int, tuple[Interval, ...]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _by_weekday: tuple[tuple[Interval, ...], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        zone = _load_zone(self.time_zone)
        if not isinstance(self.weekly_hours, Mapping):
            raise CalendarError("weekly_hours must be a mapping of weekday -> intervals")
        days = {
            weekday: intervals
            for weekday, raw in self.weekly_hours.items()
            if (intervals := _normalise_day(weekday, raw))
        }
        if isinstance(self.holidays, str | bytes) or not isinstance(self.holidays, Iterable):
            raise CalendarError("holidays must be a collection of dates")
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            # datetime is a subclass of date; a holiday is a whole local day, not an instant.
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise CalendarError(f"holidays must contain datetime.date values, got {holiday!r}")
        if not isinstance(self.always_open, bool):
            raise CalendarError(f"always_open must be a bool, got {self.always_open!r}")
        if self.always_open and days:
            raise CalendarError("weekly_hours must be empty for an always_open (24/7) calendar")
        if self.always_open and holidays:
            raise CalendarError("holidays must be empty for an always_open (24/7) calendar")
        if not self.always_open and not days:
            raise CalendarError(
                "weekly_hours has no working time at all; give some hours or use always_open"
            )
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(sorted(days.items()))))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_by_weekday", tuple(days.get(d, ()) for d in range(7)))

    def __reduce__(self) -> tuple[type[WorkingCalendar], tuple[object, ...]]:
        # The read-only mapping proxy cannot be pickled or deep-copied; rebuild instead.
        hours = {day: tuple(intervals) for day, intervals in self.weekly_hours.items()}
        return type(self), (self.time_zone, hours, self.holidays, self.always_open)

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> WorkingCalendar:
        """A 24/7 calendar; the zone only matters for presenting instants."""
        return cls(time_zone=time_zone, weekly_hours={}, always_open=True)

    @classmethod
    def office_hours(
        cls,
        time_zone: str,
        opens: time,
        closes: time,
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[date] = (),
    ) -> WorkingCalendar:
        """The common case: the same single window on each of ``weekdays`` (Mon-Fri)."""
        return cls(
            time_zone=time_zone,
            weekly_hours={day: ((opens, closes),) for day in weekdays},
            holidays=frozenset(holidays),
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (aware, UTC) at which ``duration`` of working time has elapsed.

        Counting begins at ``start`` or, outside working hours, at the next opening. A
        positive duration that is used up exactly at a closing returns that closing
        instant, not the next opening. A zero duration returns ``start`` itself.
        """
        origin = _utc_naive(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if self.always_open or duration == _ZERO:
            return (origin + duration).replace(tzinfo=UTC)
        remaining = duration
        for seg_start, seg_end in self._segments_from(self._local_date(origin) - _ONE_DAY):
            if seg_end <= origin:
                continue
            begin = max(seg_start, origin)
            available = seg_end - begin
            if remaining <= available:
                return (begin + remaining).replace(tzinfo=UTC)
            remaining -= available
        raise AssertionError("unreachable: the segment walk is infinite")  # pragma: no cover

    def opening(self, instant: datetime) -> datetime:
        """``instant`` itself inside working hours, else the next opening (aware, UTC)."""
        origin = _utc_naive(instant, "instant")
        if self.always_open:
            return origin.replace(tzinfo=UTC)
        for seg_start, seg_end in self._segments_from(self._local_date(origin) - _ONE_DAY):
            if seg_end <= origin:
                continue
            return max(seg_start, origin).replace(tzinfo=UTC)
        raise AssertionError("unreachable: the segment walk is infinite")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when ``end <= start``."""
        lo = _utc_naive(start, "start")
        hi = _utc_naive(end, "end")
        if hi <= lo:
            return _ZERO
        if self.always_open:
            return hi - lo
        total = _ZERO
        for seg_start, seg_end in self._segments_from(self._local_date(lo) - _ONE_DAY):
            if seg_start >= hi:
                break
            if seg_end <= lo:
                continue
            total += min(seg_end, hi) - max(seg_start, lo)
        return total

    def is_working(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside a working window (closing instants do not)."""
        moment = _utc_naive(instant, "instant")
        if self.always_open:
            return True
        for seg_start, seg_end in self._segments_from(self._local_date(moment) - _ONE_DAY):
            if seg_start > moment:
                return False
            if moment < seg_end:
                return True
        raise AssertionError("unreachable: the segment walk is infinite")  # pragma: no cover

    def business_day(self) -> timedelta:
        """Working time of one full working day ("one business day" of the SPEC).

        24 h when always open; otherwise the most common wall-clock length among the
        weekdays that have hours (9 h for a 9-18 calendar). When several lengths are
        equally common the longest wins: a "full" day is the fuller schedule.
        """
        if self.always_open:
            return _ONE_DAY
        lengths = Counter(
            sum((_nominal_length(interval) for interval in day), _ZERO)
            for day in self._by_weekday
            if day
        )
        return max(lengths.items(), key=lambda item: (item[1], item[0]))[0]

    def weekly_summary(self) -> str:
        """A language-neutral summary of the hours, e.g. ``"1-5 09:00-18:00"``.

        Groups of consecutive ISO weekdays (1 = Monday .. 7 = Sunday) with identical
        windows are joined by ``"; "``; windows by ``","``; 24:00 stands for END_OF_DAY.
        ``"24/7"`` for an always-open calendar. The protocol renderer localises it.
        """
        if self.always_open:
            return "24/7"
        groups: list[str] = []
        for schedule, members in itertools.groupby(range(7), key=lambda d: self._by_weekday[d]):
            days = list(members)
            if not schedule:
                continue
            span = str(days[0] + 1) if len(days) == 1 else f"{days[0] + 1}-{days[-1] + 1}"
            windows = ",".join(f"{_clock(s)}-{_clock(e)}" for s, e in schedule)
            groups.append(f"{span} {windows}")
        return "; ".join(groups)

    def holidays_between(self, start: datetime, end: datetime) -> tuple[date, ...]:
        """Holidays whose local date falls in ``[start, end]`` (for explaining a result)."""
        first = self._local_date(_utc_naive(start, "start"))
        last = self._local_date(_utc_naive(end, "end"))
        return tuple(sorted(day for day in self.holidays if first <= day <= last))

    # -- internals ------------------------------------------------------------------------

    def _local_date(self, utc_naive: datetime) -> date:
        return utc_naive.replace(tzinfo=UTC).astimezone(self._zone).date()

    def _segments_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working windows as ordered naive-UTC ``[start, end)`` pairs from local ``day`` on.

        Starting callers one day early is cheap and covers windows of the previous local
        day that a fall-back around midnight pushes past the caller's instant.
        """
        by_weekday = self._by_weekday
        holidays = self.holidays
        to_utc = self._wall_to_utc
        while True:
            intervals = by_weekday[day.weekday()]
            if intervals and day not in holidays:
                for start, end in intervals:
                    seg_start = to_utc(datetime.combine(day, start))
                    if end == END_OF_DAY:
                        seg_end = to_utc(datetime.combine(day + _ONE_DAY, _MIDNIGHT))
                    else:
                        seg_end = to_utc(datetime.combine(day, end))
                    if seg_end > seg_start:
                        yield seg_start, seg_end
            day += _ONE_DAY

    def _wall_to_utc(self, wall: datetime) -> datetime:
        """First instant (naive UTC) at which the local clock shows ``wall`` or later."""
        zone = self._zone
        before = wall.replace(tzinfo=zone).utcoffset()  # fold=0: offset before a transition
        after = wall.replace(tzinfo=zone, fold=1).utcoffset()
        # ZoneInfo always knows its offset; the asserts only narrow the Optional type.
        assert before is not None
        assert after is not None
        if before >= after:
            # Unique time, or repeated by a fall-back: fold=0 is the first occurrence.
            return wall - before
        # Skipped by a spring-forward: the answer is the jump itself, which lies in
        # (wall - after, wall - before]. zoneinfo does not expose transitions, so bisect
        # (about 35 steps for an hour-long gap; only on the rare days with a jump).
        lo, hi = wall - after, wall - before
        while hi - lo > _ONE_MICROSECOND:
            mid = lo + (hi - lo) // 2
            if mid.replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
                lo = mid
            else:
                hi = mid
        return hi


def _clock(value: time) -> str:
    if value == END_OF_DAY:
        return "24:00"
    if value.microsecond:
        return value.isoformat(timespec="microseconds")
    if value.second:
        return value.isoformat(timespec="seconds")
    return value.isoformat(timespec="minutes")
