"""The escalation ladder of a contract and the instants at which its steps fall due.

Each step is a business-time duration after registration, measured on the resolution
clock (so waits on the client move it like the due times), given either in seconds or in
business days of the contract's calendar ("one business day" = the working time of one
full day: 9 h on a 9-18 calendar, 24 h on 24/7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk_contracts.enums import Priority

from .calendar import WorkingCalendar
from .deadlines import Pause, clock_instant

__all__ = ["AUDIENCES", "DEFAULT_LADDER", "EscalationStep", "LadderDue", "ladder_dues"]

AUDIENCES = ("group_head", "department_head", "escalation_contact")


@dataclass(frozen=True)
class EscalationStep:
    level: int
    notify: str
    reassign: bool = False
    after: timedelta | None = None
    after_business_days: float | None = None
    priorities: frozenset[Priority] = frozenset()

    def __post_init__(self) -> None:
        if self.level < 1:
            raise ValueError(f"level must be at least 1, got {self.level}")
        if self.notify not in AUDIENCES:
            raise ValueError(f"notify must be one of {AUDIENCES}, got {self.notify!r}")
        if (self.after is None) == (self.after_business_days is None):
            raise ValueError("give exactly one of after (seconds) or after_business_days")
        if self.after is not None and self.after <= timedelta(0):
            raise ValueError("after must be positive")
        if self.after_business_days is not None and self.after_business_days <= 0:
            raise ValueError("after_business_days must be positive")
        object.__setattr__(self, "priorities", frozenset(Priority(p) for p in self.priorities))

    def applies_to(self, priority: Priority) -> bool:
        return not self.priorities or priority in self.priorities

    def business_time(self, calendar: WorkingCalendar) -> timedelta:
        if self.after is not None:
            return self.after
        assert self.after_business_days is not None
        return calendar.business_day() * self.after_business_days

    @property
    def timer_kind(self) -> str:
        return f"escalation:{self.level}:{self.notify}"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EscalationStep:
        seconds = raw.get("after_seconds")
        return cls(
            level=int(raw["level"]),
            notify=str(raw["notify"]),
            reassign=bool(raw.get("reassign", False)),
            after=timedelta(seconds=seconds) if seconds is not None else None,
            after_business_days=raw.get("after_business_days"),
            priorities=frozenset(Priority(p) for p in raw.get("priorities") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "notify": self.notify,
            "reassign": self.reassign,
            "after_seconds": self.after.total_seconds() if self.after is not None else None,
            "after_business_days": self.after_business_days,
            "priorities": sorted(p.value for p in self.priorities),
        }


# SPEC §4: one business day → reassign and tell the group head; another → the department
# head; critical incidents → the category's escalation contact at the end of the first.
DEFAULT_LADDER: tuple[EscalationStep, ...] = (
    EscalationStep(1, "group_head", reassign=True, after_business_days=1),
    EscalationStep(2, "department_head", after_business_days=2),
    EscalationStep(
        3, "escalation_contact", after_business_days=1, priorities=frozenset({Priority.CRITICAL})
    ),
)


@dataclass(frozen=True)
class LadderDue:
    step: EscalationStep
    due_at: datetime


def ladder_dues(
    ladder: Sequence[EscalationStep],
    calendar: WorkingCalendar,
    priority: Priority,
    registered_at: datetime,
    pauses: Sequence[Pause] = (),
    now: datetime | None = None,
) -> tuple[LadderDue, ...]:
    """The steps that apply to ``priority`` with their due instants, earliest first."""
    dues = [
        LadderDue(
            step,
            clock_instant(calendar, registered_at, pauses, step.business_time(calendar), now),
        )
        for step in ladder
        if step.applies_to(priority)
    ]
    return tuple(sorted(dues, key=lambda due: (due.due_at, due.step.level)))
