"""Deadlines of an incident in business time, with pauses, reminders and a protocol.

A clock accumulates business time from registration except while the incident waits on
the client. A due time is the instant at which the clock has accumulated its target of
*unpaused* business time; equivalently, ``registration + target + paused = due`` in
business time, where ``paused`` is the business time of the waits before the due time.

An open wait (``ended_at is None``) has no end yet, so no due time is final while it
lasts. It is measured as if it ended at ``now``; the protocol says so, and the caller is
expected to recompute once the wait ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from desk_contracts.enums import Priority

from .calendar import WorkingCalendar, ensure_aware
from .protocol import ProtocolStep, iso_duration, iso_instant
from .targets import TargetRule

__all__ = [
    "CLIENT_WAIT",
    "RESOLVED_SPAN",
    "DeadlineInput",
    "Deadlines",
    "Pause",
    "business_elapsed",
    "clock_instant",
    "compute_deadlines",
]

_ZERO = timedelta(0)

CLIENT_WAIT = "client"
"""A wait on the client: stops the clocks and is booked as client-caused delay."""
RESOLVED_SPAN = "resolved"
"""Time spent resolved before a reopen: stops the clocks but is nobody's delay."""
_PAUSE_KINDS = (CLIENT_WAIT, RESOLVED_SPAN)


@dataclass(frozen=True)
class Pause:
    """A stopped clock, ``[started_at, ended_at)``; ``ended_at`` None = still stopped.

    ``kind`` is :data:`CLIENT_WAIT` (waiting on the client) or :data:`RESOLVED_SPAN`
    (resolved, then reopened)."""

    started_at: datetime
    ended_at: datetime | None
    kind: str = CLIENT_WAIT

    def __post_init__(self) -> None:
        if self.kind not in _PAUSE_KINDS:
            raise ValueError(f"pause kind must be one of {_PAUSE_KINDS}, got {self.kind!r}")
        ensure_aware(self.started_at, "pause started_at")
        if self.ended_at is not None:
            ensure_aware(self.ended_at, "pause ended_at")
            if self.ended_at < self.started_at:
                raise ValueError(
                    f"pause ended_at {self.ended_at.isoformat()} is before its started_at"
                    f" {self.started_at.isoformat()}"
                )


@dataclass(frozen=True)
class DeadlineInput:
    """Everything a deadline computation depends on; ``now`` only measures an open wait."""

    registered_at: datetime
    calendar: WorkingCalendar
    calendar_name: str
    rule: TargetRule
    contract_name: str
    contract_version: int
    category_path: tuple[str, ...]
    priority: Priority
    pauses: tuple[Pause, ...] = ()
    now: datetime | None = None

    def __post_init__(self) -> None:
        ensure_aware(self.registered_at, "registered_at")
        if self.now is not None:
            ensure_aware(self.now, "now")
        if not isinstance(self.calendar, WorkingCalendar):
            raise TypeError("calendar must be a WorkingCalendar")
        if not isinstance(self.rule, TargetRule):
            raise TypeError("rule must be a TargetRule")
        pauses = tuple(self.pauses)
        for pause in pauses:
            if not isinstance(pause, Pause):
                raise TypeError(f"pauses must contain Pause values, got {pause!r}")
        if self.now is None and any(p.ended_at is None for p in pauses):
            raise ValueError("now is required to measure an open pause (ended_at=None)")
        object.__setattr__(self, "pauses", pauses)
        object.__setattr__(self, "category_path", tuple(self.category_path))
        object.__setattr__(self, "priority", Priority(self.priority))


@dataclass(frozen=True)
class Deadlines:
    """Result of :func:`compute_deadlines`; instants are aware UTC."""

    response_due: datetime
    resolution_due: datetime
    reminder_at: datetime | None
    response_reminder_at: datetime | None
    paused_business: timedelta
    steps: tuple[ProtocolStep, ...]
    # The part of ``paused_business`` spent waiting on the client (SPEC: client-caused).
    client_delay: timedelta = _ZERO


@dataclass(frozen=True)
class _Window:
    """A merged, registration-clipped wait, in UTC."""

    start: datetime
    end: datetime
    open: bool
    clipped: bool
    kind: str = CLIENT_WAIT


def _windows(inp: DeadlineInput | _WindowSource) -> tuple[list[_Window], list[Pause]]:
    """Waits that count (clipped at registration, merged) and those wholly before it.

    An open wait ends at ``now``; if ``now`` precedes its start (clock skew between
    services) it counts as zero-length rather than failing.
    """
    registered = inp.registered_at.astimezone(UTC)
    raw: list[_Window] = []
    ignored: list[Pause] = []
    for pause in inp.pauses:
        start = pause.started_at.astimezone(UTC)
        if pause.ended_at is None:
            assert inp.now is not None  # checked by DeadlineInput
            end, is_open = max(inp.now.astimezone(UTC), start), True
        else:
            end, is_open = pause.ended_at.astimezone(UTC), False
        if not is_open and end <= registered:
            ignored.append(pause)
            continue
        clipped_start = max(start, registered)
        raw.append(
            _Window(clipped_start, max(end, clipped_start), is_open, start < registered, pause.kind)
        )
    raw.sort(key=lambda w: (w.start, w.end))
    merged: list[_Window] = []
    for window in raw:
        if (
            merged and window.start <= merged[-1].end and window.kind == merged[-1].kind
        ):  # overlapping or touching waits of one kind
            last = merged[-1]
            merged[-1] = _Window(
                last.start,
                max(last.end, window.end),
                last.open or window.open,
                last.clipped or window.clipped,
                last.kind,
            )
        else:
            merged.append(window)
    return merged, ignored


def _accumulate(
    calendar: WorkingCalendar, registered: datetime, windows: Sequence[_Window], amount: timedelta
) -> tuple[datetime, timedelta]:
    """The instant at which ``amount`` of unpaused business time has accrued.

    Also returns the business time paused before that instant (the arithmetic's "paused").
    Walks the waits in order: if the amount is reached before a wait starts we are done,
    otherwise bank what accrued up to the wait and continue from its end.
    """
    cursor, remaining, paused = registered, amount, _ZERO
    for window in windows:
        candidate = calendar.add(cursor, remaining)
        if candidate <= window.start:
            return candidate, paused
        remaining -= calendar.between(cursor, window.start)
        paused += calendar.between(window.start, window.end)
        cursor = window.end
    return calendar.add(cursor, remaining), paused


def _reminder_step(
    code: str, rule: TargetRule, target: timedelta, lead: timedelta, at: datetime
) -> ProtocolStep:
    params = {"at": iso_instant(at), "target": iso_duration(target), "elapsed": iso_duration(lead)}
    if rule.reminder_before is not None:
        params |= {
            "basis": "before",
            "before": iso_duration(rule.reminder_before),
            "clamped": "true" if rule.reminder_before >= target else "false",
        }
    else:
        params |= {"basis": "share", "share": repr(rule.reminder_share), "clamped": "false"}
    return ProtocolStep(code, params)


def compute_deadlines(inp: DeadlineInput) -> Deadlines:
    """Response and resolution due times, reminders, paused total and the protocol."""
    calendar, rule = inp.calendar, inp.rule
    registered = inp.registered_at.astimezone(UTC)
    windows, ignored = _windows(inp)

    response_due, response_paused = _accumulate(calendar, registered, windows, rule.response)
    resolution_due, resolution_paused = _accumulate(calendar, registered, windows, rule.resolution)
    response_lead = rule.reminder_lead(rule.response)
    resolution_lead = rule.reminder_lead(rule.resolution)
    response_reminder_at = (
        None
        if response_lead is None
        else _accumulate(calendar, registered, windows, response_lead)[0]
    )
    reminder_at = (
        None
        if resolution_lead is None
        else _accumulate(calendar, registered, windows, resolution_lead)[0]
    )
    window_business = [calendar.between(w.start, w.end) for w in windows]
    paused_business = sum(window_business, _ZERO)
    client_delay = sum(
        (b for w, b in zip(windows, window_business, strict=True) if w.kind == CLIENT_WAIT),
        _ZERO,
    )

    rule_params = {
        "category": "/".join(rule.category_path),
        "priority": rule.priority.value if rule.priority is not None else "any",
        "response": iso_duration(rule.response),
        "resolution": iso_duration(rule.resolution),
        "incident_category": "/".join(inp.category_path),
        "incident_priority": inp.priority.value,
    }
    if rule.reminder_before is not None:
        rule_params["reminder_before"] = iso_duration(rule.reminder_before)
    if rule.reminder_share is not None:
        rule_params["reminder_share"] = repr(rule.reminder_share)
    applied = calendar.holidays_between(registered, max(response_due, resolution_due))
    steps = [
        ProtocolStep("contract", {"name": inp.contract_name, "version": str(inp.contract_version)}),
        ProtocolStep("rule", rule_params),
        ProtocolStep(
            "calendar",
            {
                "name": inp.calendar_name,
                "time_zone": calendar.time_zone,
                "hours": calendar.weekly_summary(),
                "business_day": iso_duration(calendar.business_day()),
                "holidays": str(len(calendar.holidays)),
                "holidays_applied": ",".join(day.isoformat() for day in applied),
            },
        ),
        ProtocolStep("registered", {"at": iso_instant(registered)}),
    ]
    for pause in ignored:
        assert pause.ended_at is not None  # open waits are never wholly before registration
        steps.append(
            ProtocolStep(
                "pause_ignored",
                {
                    "started_at": iso_instant(pause.started_at),
                    "ended_at": iso_instant(pause.ended_at),
                },
            )
        )
    for window, business in zip(windows, window_business, strict=True):
        pause_params = {
            "started_at": iso_instant(window.start),
            "ended_at": iso_instant(window.end),
            "business": iso_duration(business),
            "open": "true" if window.open else "false",
            "clipped": "true" if window.clipped else "false",
        }
        if window.kind != CLIENT_WAIT:
            pause_params["kind"] = window.kind
        steps.append(ProtocolStep("pause", pause_params))
    computed = [response_due, resolution_due, *filter(None, (reminder_at, response_reminder_at))]
    if any(w.open and w.start < max(computed) for w in windows):
        # Only when the open wait precedes something computed: a wait that began after
        # every due time cannot move them, so those results are final.
        assert inp.now is not None
        steps.append(ProtocolStep("provisional", {"now": iso_instant(inp.now)}))
    if any(w.kind == CLIENT_WAIT for w in windows):
        steps.append(ProtocolStep("paused_total", {"business": iso_duration(client_delay)}))
    for code, target, paused, due in (
        ("response_due", rule.response, response_paused, response_due),
        ("resolution_due", rule.resolution, resolution_paused, resolution_due),
    ):
        steps.append(
            ProtocolStep(
                code,
                {
                    "registered_at": iso_instant(registered),
                    "target": iso_duration(target),
                    "paused": iso_duration(paused),
                    "due": iso_instant(due),
                },
            )
        )
    if response_lead is not None and response_reminder_at is not None:
        steps.append(
            _reminder_step(
                "response_reminder", rule, rule.response, response_lead, response_reminder_at
            )
        )
    if resolution_lead is not None and reminder_at is not None:
        steps.append(
            _reminder_step("reminder", rule, rule.resolution, resolution_lead, reminder_at)
        )

    return Deadlines(
        response_due=response_due,
        resolution_due=resolution_due,
        reminder_at=reminder_at,
        response_reminder_at=response_reminder_at,
        paused_business=paused_business,
        steps=tuple(steps),
        client_delay=client_delay,
    )


def clock_instant(
    calendar: WorkingCalendar,
    registered_at: datetime,
    pauses: Sequence[Pause],
    amount: timedelta,
    now: datetime | None = None,
) -> datetime:
    """The instant at which a clock started at ``registered_at`` has accrued ``amount``
    of unpaused business time (used for the steps of the escalation ladder)."""
    if amount < _ZERO:
        raise ValueError(f"amount must not be negative, got {amount}")
    registered = ensure_aware(registered_at, "registered_at").astimezone(UTC)
    if now is None and any(p.ended_at is None for p in pauses):
        raise ValueError("now is required to measure an open pause (ended_at=None)")
    windows, _ = _windows(_WindowSource(registered, tuple(pauses), now))
    return _accumulate(calendar, registered, windows, amount)[0]


def business_elapsed(
    calendar: WorkingCalendar,
    registered_at: datetime,
    until: datetime,
    pauses: Sequence[Pause],
    *,
    kinds: tuple[str, ...] = _PAUSE_KINDS,
) -> timedelta:
    """Unpaused business time from ``registered_at`` to ``until`` (an actual response or
    resolution), not counting the pauses of ``kinds``; what the statistics measure."""
    registered = ensure_aware(registered_at, "registered_at").astimezone(UTC)
    end = ensure_aware(until, "until").astimezone(UTC)
    windows, _ = _windows(_WindowSource(registered, tuple(pauses), end))
    total = calendar.between(registered, end)
    for window in windows:
        if window.kind in kinds:
            total -= calendar.between(window.start, min(window.end, end))
    return max(total, _ZERO)


@dataclass(frozen=True)
class _WindowSource:
    """The part of :class:`DeadlineInput` that :func:`_windows` reads."""

    registered_at: datetime
    pauses: tuple[Pause, ...]
    now: datetime | None
