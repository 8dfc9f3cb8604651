"""Times as people read them, in their own time zone (pure, no I/O).

Every surface that shows a time to a person (pages, mails, history lines) formats it
with `local_time`, in the zone `zone_for` picks: the person's own setting, else their
organization's calendar zone, else the desk's (`DESK_TIME_ZONE`). The API keeps ISO 8601
with offsets; this is for people only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_ZONE = ZoneInfo("UTC")


@cache
def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name (`Europe/Moscow`), or None when there is none."""
    if not name or name != name.strip() or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone a person may choose, sorted (for pickers)."""
    return tuple(sorted(available_timezones()))


def zone_for(*choices: str | None) -> ZoneInfo:
    """The first of the choices that names a zone (own, organization's, desk's); UTC."""
    for name in choices:
        zone = zone_named(name)
        if zone is not None:
            return zone
    return UTC_ZONE


def offset_words(offset: timedelta | None) -> str:
    """`UTC+03:00`, `UTC-09:30`, `UTC` for no offset."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def local_time(value: datetime | None, zone: ZoneInfo) -> str:
    """`2026-12-03 13:15 MSK (UTC+03:00)`: the wall time in the zone with its
    abbreviation and offset (only the offset where the zone has no letters of its own);
    `—` for no time."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    offset = offset_words(local.utcoffset())
    name = local.tzname() or ""
    shown = offset if not name.isalpha() or name == offset else f"{name} ({offset})"
    return f"{local:%Y-%m-%d %H:%M} {shown}"
