"""Staffing by load and time of day (SPEC §15): routing answers, the gateway asks."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field, field_validator

from .envelope import Message, Query

# At most this many weeks of history are read for one report.
MAX_STAFFING_WEEKS = 52


class GetStaffing(Query):
    """Per hour of the week in `time_zone`, over the last `weeks` weeks: arrivals, handle
    time, agents online, agents needed for `service_level` of the requests to be answered
    within `answer_within_minutes` (by default the window's median response target)."""

    ROUTING_KEY: ClassVar[str] = "routing.get_staffing"

    weeks: int = Field(default=8, ge=1, le=MAX_STAFFING_WEEKS)
    service_level: float = Field(default=0.8, gt=0, lt=1)
    answer_within_minutes: float | None = Field(default=None, gt=0, le=60 * 24 * 30)
    time_zone: str = "UTC"
    # The report's "now"; None is the moment routing answers.
    until: datetime | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone") from error
        return value


class StaffingHourView(Message):
    hour_of_week: int = Field(ge=0, lt=168)
    weekday: int = Field(ge=0, lt=7)  # 0 Monday
    hour: int = Field(ge=0, lt=24)
    arrivals: float  # per hour
    arrivals_by_channel: dict[str, float]
    handle_minutes: float | None
    online: float
    needed: int
    gap: float  # online − needed
    responses: int
    responses_within_target: float | None


class StaffingReport(Message):
    window_start: datetime
    window_end: datetime
    time_zone: str
    service_level: float
    answer_within_minutes: float
    # Each agent counts as this many servers: the mean capacity of active agents.
    concurrency: float
    incidents: int
    hours: tuple[StaffingHourView, ...]
    # Hours of the week short of agents, the largest shortage first.
    understaffed: tuple[int, ...]


class ListWaitingClients(Query):
    """Incidents whose client has waited for a public answer longer than the response
    target (SPEC §15), assigned or not, the longest wait first."""

    ROUTING_KEY: ClassVar[str] = "routing.list_waiting_clients"

    limit: int = Field(default=50, ge=1, le=500)


class WaitingClient(Message):
    incident_id: UUID
    number: str
    title: str
    organization_id: UUID
    assignee_id: UUID | None
    waiting_since: datetime
    waited_minutes: float
    target_minutes: float


class WaitingClients(Message):
    items: tuple[WaitingClient, ...]
    total: int
