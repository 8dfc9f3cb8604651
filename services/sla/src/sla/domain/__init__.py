"""Pure SLA domain core: business calendars, target selection, deadlines and protocols.

No I/O, database or asyncio here, so every rule of SPEC §4 is testable in isolation.
"""

from .calendar import END_OF_DAY, CalendarError, Interval, WorkingCalendar
from .deadlines import (
    CLIENT_WAIT,
    RESOLVED_SPAN,
    DeadlineInput,
    Deadlines,
    Pause,
    business_elapsed,
    clock_instant,
    compute_deadlines,
)
from .protocol import (
    ProtocolStep,
    format_duration,
    format_instant,
    iso_duration,
    iso_instant,
    parse_iso_duration,
    render_protocol,
    render_step,
)
from .targets import TargetRule, select_rule

__all__ = [
    "CLIENT_WAIT",
    "END_OF_DAY",
    "RESOLVED_SPAN",
    "CalendarError",
    "DeadlineInput",
    "Deadlines",
    "Interval",
    "Pause",
    "ProtocolStep",
    "TargetRule",
    "WorkingCalendar",
    "business_elapsed",
    "clock_instant",
    "compute_deadlines",
    "format_duration",
    "format_instant",
    "iso_duration",
    "iso_instant",
    "parse_iso_duration",
    "render_protocol",
    "render_step",
    "select_rule",
]
