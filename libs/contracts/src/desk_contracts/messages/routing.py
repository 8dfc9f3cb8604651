"""Agent profiles, loads, the backlog, assignment and staffing: routing owns them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, field_validator

from ..enums import Presence, Priority
from ..envelope import Command, Event, Message, Query, Request
from .common import CategoryPath, Offset, Principal

# The most open incidents one agent's profile may hold.
MAX_CAPACITY = 1000
Capacity = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]


# --- profiles and assignments ---------------------------------------------------------


class UpsertAgentProfile(Command):
    ROUTING_KEY: ClassVar[str] = "routing.agent.upsert"

    agent_id: UUID
    skills: tuple[CategoryPath, ...] = ((),)
    capacity: Capacity = 10
    presence: Presence = Presence.OFFLINE
    group_head_id: UUID | None = None


class IncidentAssigned(Event):
    """Routing's decision. A `new` incident becomes `assigned` by it: intake records that
    transition in the history but announces no IncidentStatusChanged for it, since every
    consumer of status changes receives this event too."""

    ROUTING_KEY: ClassVar[str] = "incident.assigned"

    incident_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None = None
    reason: str
    assigned_at: datetime
    manual: bool = False


class AgentProfileChanged(Event):
    """Routing applied a profile change or an agent's load changed."""

    ROUTING_KEY: ClassVar[str] = "agent.profile_changed"

    agent_id: UUID
    skills: tuple[CategoryPath, ...]
    capacity: int
    presence: Presence
    group_head_id: UUID | None = None


class IncidentBacklogged(Event):
    """No eligible agent: the incident waits in routing's backlog. `escalated` means an
    escalation found nobody but the current assignee — the group head should be told."""

    ROUTING_KEY: ClassVar[str] = "incident.backlogged"

    incident_id: UUID
    reason: str
    escalated: bool = False
    current_agent_id: UUID | None = None
    group_head_id: UUID | None = None
    backlogged_at: datetime


# --- load board, backlog, profile changes, assignment by hand (request/reply) ---------

AGENT_PROFILE_FIELDS = ("skills", "capacity", "presence", "group_head_id")


class AgentView(Message):
    agent_id: UUID
    skills: tuple[CategoryPath, ...]
    capacity: int
    presence: Presence
    group_head_id: UUID | None = None
    load: int
    last_assigned_at: datetime | None = None
    updated_at: datetime


class AgentList(Message):
    items: tuple[AgentView, ...]
    total: int


class ListAgents(Query[AgentList]):
    """The load board; `agent_ids` narrows it to the named agents."""

    ROUTING_KEY: ClassVar[str] = "routing.list_agents"

    agent_ids: tuple[UUID, ...] | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class ChangeAgentProfile(Request[AgentView]):
    """Applies the profile fields named in `fields`; a missing profile is created from
    UpsertAgentProfile's defaults only when `create` is set."""

    ROUTING_KEY: ClassVar[str] = "routing.change_agent_profile"

    agent_id: UUID
    fields: tuple[str, ...]
    create: bool = False
    skills: tuple[CategoryPath, ...] = ((),)
    capacity: Capacity = 10
    presence: Presence = Presence.OFFLINE
    group_head_id: UUID | None = None

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(AGENT_PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"unknown profile fields {sorted(unknown)}")
        return value


class BacklogItem(Message):
    position: int
    incident_id: UUID
    priority: Priority
    resolution_due: datetime | None = None
    registered_at: datetime
    category_path: CategoryPath
    waiting_since: datetime
    # The assignee an escalation could not move the incident away from (never chosen).
    escalated_from: UUID | None = None
    # What people call it, from its registration (none from routing before they were kept).
    number: str | None = None
    title: str | None = None


class Backlog(Message):
    items: tuple[BacklogItem, ...]
    total: int


class GetBacklog(Query[Backlog]):
    ROUTING_KEY: ClassVar[str] = "routing.get_backlog"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class AssignmentMade(Message):
    incident_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None = None
    changed: bool
    reason: str
    load: int
    capacity: int


class AssignByHand(Request[AssignmentMade]):
    """Staff give an incident to a named agent; decided under the agent's row lock so the
    answer says what really happened. `override` lets a head exceed capacity or pick an
    agent who is not online; routing decides from the principal whether they may. The
    incident's facts come from intake's view of it."""

    ROUTING_KEY: ClassVar[str] = "routing.assign_by_hand"

    principal: Principal
    incident_id: UUID
    agent_id: UUID
    override: bool = False
    category_path: CategoryPath
    priority: Priority
    registered_at: datetime


class LoadCorrection(Message):
    agent_id: UUID
    old: int
    new: int


class LoadsReconciled(Message):
    """What a reconciliation found and changed. `intake_behind` counts assignments routing
    made that intake has not recorded yet (their events are on the way): kept as they are."""

    incidents_checked: int
    bookings_added: int
    bookings_moved: int
    bookings_closed: int
    bookings_reopened: int
    arrivals_added: int
    waiting_dropped: int
    intake_behind: int
    unknown_agents: tuple[UUID, ...] = ()
    loads_corrected: tuple[LoadCorrection, ...] = ()
    assigned_from_backlog: int = 0


class ReconcileLoads(Request[LoadsReconciled]):
    """Operators: make routing's books (assignments, backlog, loads) agree with intake's
    incidents, which are the truth of what is open and whom intake records as assignee."""

    ROUTING_KEY: ClassVar[str] = "routing.reconcile_loads"

    actor_id: UUID | None = None


# --- staffing by load and time of day (SPEC §15) --------------------------------------

# At most this many weeks of history are read for one report.
MAX_STAFFING_WEEKS = 52


class StaffingHourView(Message):
    hour_of_week: int = Field(ge=0, lt=168)
    weekday: int = Field(ge=0, lt=7)  # 0 Monday
    hour: int = Field(ge=0, lt=24)
    arrivals: float  # per hour
    arrivals_by_channel: dict[str, float]
    handle_minutes: float | None
    online: float
    # None: requests arrived but no handle time is measured yet to size them by.
    needed: int | None
    gap: float | None  # online − needed
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


class GetStaffing(Query[StaffingReport]):
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


class ListWaitingClients(Query[WaitingClients]):
    """Incidents whose client has waited for a public answer longer than the response
    target (SPEC §15), assigned or not, the longest wait first."""

    ROUTING_KEY: ClassVar[str] = "routing.list_waiting_clients"

    limit: int = Field(default=50, ge=1, le=500)


# --- the demo month (DESK_DEMO=1): agents' past online stretches ----------------------


class OnlineStretch(Message):
    agent_id: UUID
    started_at: datetime
    ended_at: datetime


class SeedPresenceHistory(Command):
    """Past stretches agents were online (each kept once), for the staffing figures."""

    ROUTING_KEY: ClassVar[str] = "routing.presence_history.seed"

    stretches: tuple[OnlineStretch, ...] = Field(max_length=2000)
