"""The protocol of a deadline computation: raw steps, and their rendering for people.

A :class:`ProtocolStep` is language-neutral and JSON-friendly: a stable ``code`` and
string ``params`` (instants as ISO 8601 UTC, durations as ISO 8601 ``PT..H..M..S`` with
hours as the largest unit, because a "day" of business time would be ambiguous).
Rendering happens later, for each recipient, in its locale and time zone. Renderers never
raise on missing or unknown params: an old stored protocol still renders, with ``?`` in
place of what it lacks, and an unknown code renders generically.

Step codes and their params:

``contract``          name, version
``rule``              category ("a/b/c", "" = contract default), priority (value or "any"),
                      response, resolution, reminder_before | reminder_share (optional),
                      incident_category, incident_priority
``calendar``          name, time_zone, hours (:meth:`WorkingCalendar.weekly_summary`),
                      business_day, holidays (count), holidays_applied (ISO dates, ",")
``registered``        at
``pause``             started_at, ended_at, business, open ("true"/"false"),
                      clipped ("true" when it began before registration),
                      kind ("resolved" for time spent resolved before a reopen;
                      absent for a wait on the client)
``pause_ignored``     started_at, ended_at (a wait wholly before registration)
``provisional``       now (a wait is still open; deadlines assume it ends now)
``paused_total``      business
``response_due``      registered_at, target, paused, due
``resolution_due``    registered_at, target, paused, due
``response_reminder`` at, basis ("before"/"share"), before | share, target, elapsed,
                      clamped ("true" when the lead exceeds the target)
``reminder``          same params as ``response_reminder``, for the resolution clock
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk_contracts.enums import Locale

__all__ = [
    "ProtocolStep",
    "format_duration",
    "format_instant",
    "iso_duration",
    "iso_instant",
    "parse_iso_duration",
    "render_protocol",
    "render_step",
]


@dataclass(frozen=True)
class ProtocolStep:
    """One step of a computation: a stable machine code and its string parameters."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"code must be a non-empty string, got {self.code!r}")
        bad = {
            k: v for k, v in self.params.items() if not isinstance(k, str) or not isinstance(v, str)
        }
        if bad:
            raise ValueError(f"params of step {self.code!r} must map str to str, got {bad!r}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __reduce__(self) -> tuple[type[ProtocolStep], tuple[str, dict[str, str]]]:
        # The read-only mapping proxy cannot be pickled or deep-copied; rebuild instead.
        return type(self), (self.code, dict(self.params))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"code": ..., "params": {...}}``."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProtocolStep:
        return cls(code=data["code"], params=dict(data.get("params", {})))


# -- neutral formats ---------------------------------------------------------------------


def iso_instant(value: datetime) -> str:
    """An aware instant as ISO 8601 in UTC (``2026-03-09T07:00:00+00:00``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC).isoformat()


def iso_duration(value: timedelta) -> str:
    """ISO 8601 duration with hours as the largest unit: ``PT33H30M``, ``PT0S``."""
    sign = "-" if value < timedelta(0) else ""
    micros = abs(value) // timedelta(microseconds=1)
    seconds, micro = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}H")
    if minutes:
        parts.append(f"{minutes}M")
    if secs or micro:
        frac = f".{micro:06d}".rstrip("0") if micro else ""
        parts.append(f"{secs}{frac}S")
    return f"{sign}PT{''.join(parts) or '0S'}"


_ISO_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d{1,6})?)S)?)?$"
)


def parse_iso_duration(text: str) -> timedelta:
    """Inverse of :func:`iso_duration` (also accepts a ``nD`` day part)."""
    match = _ISO_DURATION.match(text)
    if match is None or text in {"P", "-P"} or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    secs = match["s"] or "0"
    whole, _, frac = secs.partition(".")
    value = timedelta(
        days=int(match["d"] or 0),
        hours=int(match["h"] or 0),
        minutes=int(match["m"] or 0),
        seconds=int(whole),
        microseconds=int(frac.ljust(6, "0")) if frac else 0,
    )
    return -value if match["sign"] else value


# -- human formats -----------------------------------------------------------------------

_UNITS = {Locale.EN: ("h", "min", "s"), Locale.RU: ("ч", "мин", "с")}


def format_duration(value: timedelta, locale: Locale) -> str:
    """Hours, minutes and seconds, zero parts omitted: ``33 h 30 min`` / ``33 ч 30 мин``.

    Hours are the largest unit on purpose: a "day" of business time would be ambiguous.
    Sub-second remainders are dropped.
    """
    h_unit, m_unit, s_unit = _UNITS[Locale(locale)]
    sign = "-" if value < timedelta(0) else ""
    seconds = int(abs(value).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} {h_unit}")
    if minutes:
        parts.append(f"{minutes} {m_unit}")
    if secs:
        parts.append(f"{secs} {s_unit}")
    return sign + (" ".join(parts) or f"0 {m_unit}")


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"time_zone {time_zone!r} is not a known IANA time zone") from exc


def format_instant(value: datetime, time_zone: str) -> str:
    """Local wall time with its offset: ``2026-03-09 10:00 UTC+03:00``."""
    local = value.astimezone(_zone(time_zone))
    spec = "seconds" if local.second or local.microsecond else "minutes"
    text = local.replace(tzinfo=None, microsecond=0).isoformat(sep=" ", timespec=spec)
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return f"{text} UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{text} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# -- rendering ---------------------------------------------------------------------------

_DAY_NAMES = {
    Locale.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    Locale.RU: ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"),
}
_PRIORITY_NAMES = {
    Locale.EN: {"critical": "critical", "high": "high", "normal": "normal", "low": "low"},
    Locale.RU: {"critical": "критический", "high": "высокий", "normal": "обычный", "low": "низкий"},
}
_MISSING = "?"


class _Ctx:
    """Formatting helpers bound to one step, locale and zone; tolerant of bad params."""

    def __init__(self, params: Mapping[str, str], locale: Locale, time_zone: str) -> None:
        self.params = params
        self.en = locale is Locale.EN
        self.locale = locale
        self.time_zone = time_zone

    def t(self, en: str, ru: str) -> str:
        return en if self.en else ru

    def raw(self, key: str) -> str:
        return self.params.get(key, _MISSING)

    def flag(self, key: str) -> bool:
        return self.params.get(key) == "true"

    def instant(self, key: str) -> str:
        try:
            return format_instant(datetime.fromisoformat(self.params[key]), self.time_zone)
        except (KeyError, ValueError):
            return self.params.get(key, _MISSING)

    def duration(self, key: str) -> str:
        try:
            return format_duration(parse_iso_duration(self.params[key]), self.locale)
        except (KeyError, ValueError):
            return self.params.get(key, _MISSING)

    def quoted(self, key: str) -> str:
        return f'"{self.raw(key)}"' if self.en else f"«{self.raw(key)}»"

    def priority(self, key: str) -> str:
        value = self.raw(key)
        if value == "any":
            return self.t("any", "любой")
        return _PRIORITY_NAMES[self.locale].get(value, value)

    def category(self, key: str) -> str:
        value = self.raw(key)
        return value if value else self.t("any (contract default)", "любая (по умолчанию)")

    def share(self, key: str) -> str:
        try:
            percent = float(self.params[key]) * 100
        except (KeyError, ValueError):
            return self.params.get(key, _MISSING)
        return f"{percent:.2f}".rstrip("0").rstrip(".") + " %"

    def hours(self, key: str) -> str:
        summary = self.raw(key)
        if summary == "24/7":
            return self.t("around the clock (24/7)", "круглосуточно (24/7)")
        names = _DAY_NAMES[self.locale]
        groups = []
        for group in summary.split("; "):
            span, _, windows = group.partition(" ")
            try:
                days = "–".join(names[int(day) - 1] for day in span.split("-"))
            except (ValueError, IndexError):
                days = span
            groups.append(f"{days} {windows.replace('-', '–').replace(',', ', ')}")
        return "; ".join(groups)


def _contract(c: _Ctx) -> str:
    return c.t(
        f"Contract {c.quoted('name')}, version {c.raw('version')}.",
        f"Договор {c.quoted('name')}, версия {c.raw('version')}.",
    )


def _rule(c: _Ctx) -> str:
    reminder = ""
    if "reminder_before" in c.params:
        lead = c.duration("reminder_before")
        reminder = c.t(
            f"; reminder {lead} before the due time", f"; напоминание за {lead} до срока"
        )
    elif "reminder_share" in c.params:
        share = c.share("reminder_share")
        reminder = c.t(
            f"; reminder when {share} of the target has elapsed",
            f"; напоминание по истечении {share} срока",
        )
    return c.t(
        f"Incident category {c.category('incident_category')}, priority "
        f"{c.priority('incident_priority')}: applied target for category "
        f"{c.category('category')}, priority {c.priority('priority')} — first response "
        f"{c.duration('response')}, resolution {c.duration('resolution')}{reminder}.",
        f"Инцидент: категория {c.category('incident_category')}, приоритет "
        f"{c.priority('incident_priority')}. Применено правило (категория "
        f"{c.category('category')}, приоритет {c.priority('priority')}): первый ответ "
        f"{c.duration('response')}, решение {c.duration('resolution')}{reminder}.",
    )


def _calendar(c: _Ctx) -> str:
    applied = c.params.get("holidays_applied", "")
    applied_text = ""
    if applied:
        dates = ", ".join(applied.split(","))
        applied_text = c.t(
            f" (non-working days within this computation: {dates})",
            f" (нерабочие дни в пределах расчёта: {dates})",
        )
    return c.t(
        f"Business calendar {c.quoted('name')}, time zone {c.raw('time_zone')}: "
        f"{c.hours('hours')}; one business day is {c.duration('business_day')}; "
        f"holidays: {c.raw('holidays')}{applied_text}.",
        f"Рабочий календарь {c.quoted('name')}, часовой пояс {c.raw('time_zone')}: "
        f"{c.hours('hours')}; рабочий день — {c.duration('business_day')}; "
        f"праздничных дней: {c.raw('holidays')}{applied_text}.",
    )


def _registered(c: _Ctx) -> str:
    return c.t(
        f"Registered at {c.instant('at')}.",
        f"Зарегистрирован {c.instant('at')}.",
    )


def _pause(c: _Ctx) -> str:
    if c.params.get("kind") == "resolved":
        if c.flag("open"):
            return c.t(
                f"Resolved since {c.instant('started_at')}: the clocks stand still unless "
                f"the incident is reopened.",
                f"Решён с {c.instant('started_at')}: сроки остановлены, пока инцидент не "
                f"переоткрыт.",
            )
        return c.t(
            f"Resolved from {c.instant('started_at')} until the reopen at "
            f"{c.instant('ended_at')}: {c.duration('business')} of business time not counted.",
            f"Решён с {c.instant('started_at')} до переоткрытия {c.instant('ended_at')}: "
            f"{c.duration('business')} рабочего времени не учитывается.",
        )
    clipped = (
        c.t(" (counted from registration)", " (учтено с момента регистрации)")
        if c.flag("clipped")
        else ""
    )
    if c.flag("open"):
        return c.t(
            f"Waiting on the client since {c.instant('started_at')}, still open; counted "
            f"until now ({c.instant('ended_at')}){clipped}: {c.duration('business')} "
            f"of business time paused so far.",
            f"Ожидание ответа клиента с {c.instant('started_at')}, продолжается; учтено до "
            f"текущего момента ({c.instant('ended_at')}){clipped}: на паузе "
            f"{c.duration('business')} рабочего времени.",
        )
    return c.t(
        f"Waiting on the client from {c.instant('started_at')} to {c.instant('ended_at')}"
        f"{clipped}: {c.duration('business')} of business time paused.",
        f"Ожидание ответа клиента с {c.instant('started_at')} по {c.instant('ended_at')}"
        f"{clipped}: на паузе {c.duration('business')} рабочего времени.",
    )


def _pause_ignored(c: _Ctx) -> str:
    return c.t(
        f"Waiting on the client from {c.instant('started_at')} to {c.instant('ended_at')} "
        f"ended before registration and is not counted.",
        f"Ожидание ответа клиента с {c.instant('started_at')} по {c.instant('ended_at')} "
        f"закончилось до регистрации и не учитывается.",
    )


def _provisional(c: _Ctx) -> str:
    return c.t(
        f"The incident is waiting on the client now, so the deadlines below are provisional: "
        f"they assume the wait ends now ({c.instant('now')}) and move later while it lasts.",
        f"Инцидент сейчас ожидает ответа клиента, поэтому сроки ниже предварительные: они "
        f"рассчитаны так, будто ожидание закончилось сейчас ({c.instant('now')}), и "
        f"сдвигаются, пока оно продолжается.",
    )


def _paused_total(c: _Ctx) -> str:
    return c.t(
        f"Client-caused delay in total: {c.duration('business')} of business time.",
        f"Всего задержка по вине клиента: {c.duration('business')} рабочего времени.",
    )


def _due(en_name: str, ru_name: str) -> Callable[[_Ctx], str]:
    def render(c: _Ctx) -> str:
        return c.t(
            f"{en_name} due: registration {c.instant('registered_at')} + "
            f"{c.duration('target')} of business time + {c.duration('paused')} paused "
            f"= {c.instant('due')}.",
            f"{ru_name}: регистрация {c.instant('registered_at')} + "
            f"{c.duration('target')} рабочего времени + {c.duration('paused')} паузы "
            f"= {c.instant('due')}.",
        )

    return render


def _reminder(en_name: str, ru_name: str) -> Callable[[_Ctx], str]:
    def render(c: _Ctx) -> str:
        if c.raw("basis") == "share":
            basis = c.t(
                f"when {c.share('share')} of the {c.duration('target')} target has elapsed "
                f"({c.duration('elapsed')})",
                f"по истечении {c.share('share')} срока {c.duration('target')} "
                f"({c.duration('elapsed')})",
            )
        else:
            basis = c.t(
                f"{c.duration('before')} before the due time, when {c.duration('elapsed')} "
                f"of the {c.duration('target')} target has elapsed",
                f"за {c.duration('before')} до срока, когда истекло {c.duration('elapsed')} "
                f"из {c.duration('target')}",
            )
        if c.flag("clamped"):
            basis += c.t(
                " (the lead exceeds the target, so at registration)",
                " (упреждение больше срока, поэтому в момент регистрации)",
            )
        return c.t(
            f"Reminder for the {en_name}: {basis}, at {c.instant('at')}.",
            f"Напоминание о сроке {ru_name}: {basis}, {c.instant('at')}.",
        )

    return render


_RENDERERS: dict[str, Callable[[_Ctx], str]] = {
    "contract": _contract,
    "rule": _rule,
    "calendar": _calendar,
    "registered": _registered,
    "pause": _pause,
    "pause_ignored": _pause_ignored,
    "provisional": _provisional,
    "paused_total": _paused_total,
    "response_due": _due("First response", "Срок первого ответа"),
    "resolution_due": _due("Resolution", "Срок решения"),
    "response_reminder": _reminder("first response", "первого ответа"),
    "reminder": _reminder("resolution", "решения"),
}


def _generic(step: ProtocolStep) -> str:
    details = ", ".join(f"{key}={value}" for key, value in sorted(step.params.items()))
    return f"{step.code}: {details}" if details else step.code


def render_step(step: ProtocolStep, locale: Locale, time_zone: str) -> str:
    """A sentence in ``locale`` with instants shown in ``time_zone``."""
    locale = Locale(locale)
    _zone(time_zone)  # fail early and clearly on a bad zone
    renderer = _RENDERERS.get(step.code)
    if renderer is None:
        return _generic(step)
    return renderer(_Ctx(step.params, locale, time_zone))


def render_protocol(steps: Sequence[ProtocolStep], locale: Locale, time_zone: str) -> list[str]:
    """Every step rendered, in order."""
    return [render_step(step, locale, time_zone) for step in steps]
