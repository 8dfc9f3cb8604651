"""Contracts, business calendars, deadlines and the SLA's signals: sla owns them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from ..enums import Channel, Locale, Priority, QuotaPolicy
from ..envelope import Command, Event, Message, Query, Request
from .common import CategoryPath, Instant, Name, Offset, Principal

# Contract versions are stored as 32-bit integers.
MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]


# --- deadlines and the clock's signals ------------------------------------------------


class DeadlinesSet(Event):
    ROUTING_KEY: ClassVar[str] = "sla.deadlines_set"

    incident_id: UUID
    contract_id: UUID
    contract_name: str
    contract_version: int
    response_due: datetime
    resolution_due: datetime
    computed_at: datetime
    # The zone of the contract's calendar (the organization's), in which its clients
    # read times unless they chose their own; none from sla before it was announced.
    time_zone: str | None = None


class SlaReminderDue(Event):
    ROUTING_KEY: ClassVar[str] = "sla.reminder_due"

    incident_id: UUID
    clock: str  # "response" | "next_reply" | "resolution"
    due_at: datetime
    fired_at: datetime


class SlaEscalated(Event):
    """A step of the escalation ladder fired; `level` 1 reassigns, every level notifies."""

    ROUTING_KEY: ClassVar[str] = "sla.escalated"

    incident_id: UUID
    level: int = Field(ge=1)
    # Who must hear of it: "group_head", "department_head" or "escalation_contact".
    notify: str
    reassign: bool = False
    fired_at: datetime


class SlaBreached(Event):
    ROUTING_KEY: ClassVar[str] = "sla.breached"

    incident_id: UUID
    clock: str  # "response" | "next_reply" | "resolution"
    due_at: datetime
    fired_at: datetime


# --- calendars and contracts (request/reply; sla answers) -----------------------------

ESCALATION_AUDIENCES = ("group_head", "department_head", "escalation_contact")

SLA_REPORT_GROUPS = (
    "none",
    "organization",
    "category",
    "agent",
    "priority",
    "channel",
    "package",
    "day",
    "week",
    "month",
)


class CalendarSpec(Message):
    """A business calendar as an admin writes it: weekday 0 (Monday)..6 to local
    ["HH:MM", "HH:MM"] windows ("24:00" = midnight), holidays as dates, or 24/7."""

    name: Name
    time_zone: str = Field(min_length=1, max_length=64)
    always_open: bool = False
    weekly_hours: dict[int, tuple[tuple[str, str], ...]] = Field(default_factory=dict)
    holidays: tuple[date, ...] = Field(default=(), max_length=1000)


class CalendarView(CalendarSpec):
    calendar_id: UUID
    business_day_seconds: float
    updated_at: datetime


class SaveCalendar(Request[CalendarView]):
    """Creates a calendar (no id) or replaces one; new computations use the new hours."""

    ROUTING_KEY: ClassVar[str] = "sla.save_calendar"

    calendar_id: UUID | None = None
    calendar: CalendarSpec


class GetCalendar(Query[CalendarView]):
    ROUTING_KEY: ClassVar[str] = "sla.get_calendar"

    calendar_id: UUID


class CalendarList(Message):
    items: tuple[CalendarView, ...]
    total: int


class ListCalendars(Query[CalendarList]):
    ROUTING_KEY: ClassVar[str] = "sla.list_calendars"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class TargetSpec(Message):
    """Targets for a category subtree (codes from the root; [] = any) and a priority
    (None = any), in business seconds; at most one reminder lead."""

    category_path: CategoryPath = Field(default=(), max_length=3)
    priority: Priority | None = None
    response_seconds: float = Field(gt=0, le=10 * 365 * 86400)
    resolution_seconds: float = Field(gt=0, le=10 * 365 * 86400)
    reminder_before_seconds: float | None = Field(default=None, gt=0)
    reminder_share: float | None = Field(default=None, gt=0, lt=1)


class EscalationStepSpec(Message):
    """One step of the ladder: business time after registration (seconds, or business
    days of the contract's calendar), who is told, and whether the incident is reassigned.
    `priorities` empty = every priority."""

    level: int = Field(ge=1, le=10)
    after_seconds: float | None = Field(default=None, gt=0)
    after_business_days: float | None = Field(default=None, gt=0, le=365)
    notify: str = Field(pattern="^(" + "|".join(ESCALATION_AUDIENCES) + ")$")
    reassign: bool = False
    priorities: tuple[Priority, ...] = ()


class QuotaSpec(Message):
    """E.g. 15 e-mail consultations a month (the older form of a channel's terms: the
    channel is included, in the contract's hours, and a used-up quota is `accept`)."""

    channel: Channel
    per_month: int = Field(ge=0)
    category_path: CategoryPath = Field(default=(), max_length=3)


MAX_QUOTA = 1_000_000


class ChannelTermsSpec(Message):
    """A package's terms for one support channel (and, optionally, a category subtree
    of it: the deepest matching terms apply): whether it is included, its hours (a
    calendar; None = the contract's), the requests a contract month allows (None =
    unlimited) and what a used-up quota does. A channel the contract names no terms for
    is included, unlimited, in the contract's hours; one not included counts as a quota
    of 0."""

    channel: Channel
    category_path: CategoryPath = Field(default=(), max_length=3)
    included: bool = True
    calendar_id: UUID | None = None
    per_month: int | None = Field(default=None, ge=0, le=MAX_QUOTA)
    policy: QuotaPolicy = QuotaPolicy.ACCEPT


class ContractSpec(Message):
    name: Name
    calendar_id: UUID
    targets: tuple[TargetSpec, ...] = Field(min_length=1, max_length=500)
    # None = the default ladder of the product (1 and 2 business days; critical: 1).
    escalation: tuple[EscalationStepSpec, ...] | None = Field(default=None, max_length=20)
    quotas: tuple[QuotaSpec, ...] = Field(default=(), max_length=100)
    channels: tuple[ChannelTermsSpec, ...] = Field(default=(), max_length=100)
    is_default: bool = False


class ContractView(Message):
    contract_id: UUID
    version: int
    name: str
    calendar_id: UUID
    calendar_name: str
    targets: tuple[TargetSpec, ...]
    escalation: tuple[EscalationStepSpec, ...]
    quotas: tuple[QuotaSpec, ...]
    is_default: bool
    created_at: datetime
    channels: tuple[ChannelTermsSpec, ...] = ()


class SaveContract(Request[ContractView]):
    """Creates a contract (no id, version 1) or adds its next version; incidents keep
    the version they were registered under."""

    ROUTING_KEY: ClassVar[str] = "sla.save_contract"

    contract_id: UUID | None = None
    contract: ContractSpec


class GetContract(Query[ContractView]):
    ROUTING_KEY: ClassVar[str] = "sla.get_contract"

    contract_id: UUID
    version: VersionNumber | None = None


class ContractList(Message):
    items: tuple[ContractView, ...]
    total: int


class ListContracts(Query[ContractList]):
    """The latest version of every contract."""

    ROUTING_KEY: ClassVar[str] = "sla.list_contracts"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class SeededCalendar(Message):
    calendar_id: UUID
    calendar: CalendarSpec


class SeedPackage(Command):
    """The demo data's package under its fixed ids, written once: each calendar it names
    and the contract (version 1) are created only when absent; what exists is left as
    it is (an admin may have changed it since)."""

    ROUTING_KEY: ClassVar[str] = "sla.package.seed"

    contract_id: UUID
    contract: ContractSpec
    calendars: tuple[SeededCalendar, ...] = Field(default=(), max_length=20)


# --- deadlines previewed and an incident's SLA ----------------------------------------


class PauseSpec(Message):
    started_at: Instant
    ended_at: Instant | None = None


class ProtocolStepView(Message):
    code: str
    params: dict[str, str]


class EscalationDue(Message):
    level: int
    notify: str
    reassign: bool
    due_at: datetime


class DeadlinePreview(Message):
    contract_id: UUID
    contract_version: int
    contract_name: str
    time_zone: str
    registered_at: datetime
    response_due: datetime
    resolution_due: datetime
    response_reminder_at: datetime | None
    resolution_reminder_at: datetime | None
    escalations: tuple[EscalationDue, ...]
    client_delay_seconds: float
    steps: tuple[ProtocolStepView, ...]
    protocol: tuple[str, ...]


class PreviewDeadlines(Query[DeadlinePreview]):
    """Due times and protocol for a hypothetical incident; stores nothing."""

    ROUTING_KEY: ClassVar[str] = "sla.preview_deadlines"

    contract_id: UUID
    version: VersionNumber | None = None
    registered_at: Instant
    category_path: CategoryPath = Field(default=(), max_length=3)
    priority: Priority = Priority.NORMAL
    pauses: tuple[PauseSpec, ...] = Field(default=(), max_length=200)
    now: Instant | None = None
    locale: Locale = Locale.EN


class ClockView(Message):
    """One clock of an incident: planned against actual."""

    clock: str  # "response" | "next_reply" | "resolution"
    state: str  # "running" | "paused" | "met" | "breached" | "stopped"
    target_seconds: float
    due_at: datetime
    actual_at: datetime | None
    # Business seconds early (negative) or late (positive) against the due time.
    difference_seconds: float | None
    paused_seconds: float
    breached_at: datetime | None
    reminder_at: datetime | None


class PauseView(Message):
    kind: str  # "client" (waiting on the client) | "resolved" (until a reopen)
    started_at: datetime
    ended_at: datetime | None
    business_seconds: float


class TimerView(Message):
    kind: str
    due_at: datetime
    state: str  # "armed" | "fired" | "cancelled"
    fired_at: datetime | None


class ComputationView(Message):
    reason: str
    computed_at: datetime


class IncidentSla(Message):
    incident_id: UUID
    contract_id: UUID
    contract_name: str
    contract_version: int
    time_zone: str
    status: str
    registered_at: datetime
    category_path: CategoryPath
    priority: Priority
    response_due: datetime
    resolution_due: datetime
    client_delay_seconds: float
    reopen_count: int
    clocks: tuple[ClockView, ...]
    pauses: tuple[PauseView, ...]
    escalations: tuple[EscalationDue, ...] = ()
    timers: tuple[TimerView, ...] = ()
    computations: tuple[ComputationView, ...] = ()
    steps: tuple[ProtocolStepView, ...]
    protocol: tuple[str, ...]
    # Set when the incident came outside its channel's hours: its clocks start then.
    clock_starts_at: datetime | None = None
    # The channel it counts against in its package, and whether beyond the quota
    # (None: counted before packages were).
    channel: Channel | None = None
    over_quota: bool | None = None


class GetIncidentSla(Query[IncidentSla]):
    """Asked only after intake confirmed the principal may see the incident; sla decides
    from the principal what of it they read (staff also get the escalation steps, the
    timers and the computations, which clients never see)."""

    ROUTING_KEY: ClassVar[str] = "sla.get_incident_sla"

    principal: Principal
    incident_id: UUID
    locale: Locale = Locale.EN


# --- the report -----------------------------------------------------------------------


class SlaReportRow(Message):
    key: str
    incidents: int
    responded: int
    resolved: int
    response_breaches: int
    resolution_breaches: int
    breached: int
    breach_rate: float
    response_median_seconds: float | None
    response_p90_seconds: float | None
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    client_delay_seconds: float
    reopens: int
    # Planned, to set against the actual medians: the median target (business seconds)
    # of the rules the incidents were measured by.
    response_target_median_seconds: float | None = None
    resolution_target_median_seconds: float | None = None
    # The requesters' ratings (1–5) of the incidents: their mean and how many.
    satisfaction_average: float | None = None
    satisfaction_count: int = 0


class SlaReportView(Message):
    group_by: str
    since: datetime | None
    until: datetime | None
    total: SlaReportRow
    groups: tuple[SlaReportRow, ...]


class SlaReport(Query[SlaReportView]):
    """Statistics of incidents registered in [since, until), filtered and grouped."""

    ROUTING_KEY: ClassVar[str] = "sla.report"

    since: datetime | None = None
    until: datetime | None = None
    organization_id: UUID | None = None
    category_path: CategoryPath = Field(default=(), max_length=3)
    agent_id: UUID | None = None
    priority: Priority | None = None
    group_by: str = Field(default="none", pattern="^(" + "|".join(SLA_REPORT_GROUPS) + ")$")


# --- packages: channel terms, quotas and their use (SPEC §12) --------------------------

QUOTA_OUTCOMES = ("accepted", "over_quota", "warned", "refused")


class QuotaClaim(Message):
    """What a claim came to: `granted` unless the policy refuses a used-up quota; a
    granted claim holds its unit until the registration it precedes consumes it (or a
    few minutes pass)."""

    request_id: UUID
    granted: bool
    outcome: str  # one of QUOTA_OUTCOMES
    channel: Channel
    category_path: CategoryPath
    included: bool
    per_month: int | None
    used: int
    policy: QuotaPolicy
    month_start: datetime
    renews_at: datetime
    contract_name: str


class ClaimQuota(Request[QuotaClaim]):
    """Asked before filing a request whose channel's quota may refuse it; the same
    `request_id` answers the same claim again."""

    ROUTING_KEY: ClassVar[str] = "sla.claim_quota"

    request_id: UUID
    organization_id: UUID
    channel: Channel
    category_path: CategoryPath = Field(default=(), max_length=3)
    at: Instant | None = None


class ChannelPackageView(Message):
    channel: Channel
    category_path: CategoryPath
    included: bool
    calendar_id: UUID | None
    calendar_name: str
    always_open: bool
    hours: str  # the calendar's week, e.g. "Mon-Fri 09:00-18:00"
    per_month: int | None
    used: int
    left: int | None
    policy: QuotaPolicy


class PackageView(Message):
    organization_id: UUID
    contract_id: UUID
    contract_name: str
    contract_version: int
    time_zone: str
    month_start: datetime
    renews_at: datetime
    channels: tuple[ChannelPackageView, ...]


class GetPackage(Query[PackageView]):
    """An organization's package this contract month: every channel, its hours, and
    its quota used and left."""

    ROUTING_KEY: ClassVar[str] = "sla.get_package"

    organization_id: UUID
    at: Instant | None = None


class QuotaUsedUp(Event):
    """A quota whose policy is `warn` was exceeded: told once per contract month,
    organization and channel, for the account manager."""

    ROUTING_KEY: ClassVar[str] = "sla.quota_used_up"

    organization_id: UUID
    incident_id: UUID
    channel: Channel
    category_path: CategoryPath
    per_month: int
    used: int
    month_start: datetime
    renews_at: datetime
    contract_name: str
    # The local day it renews on, as the contract's calendar reads it.
    renews_on: date | None = None


# --- channel statistics (SPEC §12) -----------------------------------------------------

CHANNEL_SEGMENTS = ("none", "package", "organization")


class ChannelReportRow(Message):
    """One channel in one client segment over the period."""

    channel: Channel
    # "all", the package's (contract's) name, or the organization's id.
    segment: str
    requests: int
    # Of the segment's requests, the part that came by this channel.
    share: float
    over_quota: int
    response_median_seconds: float | None
    resolution_median_seconds: float | None
    breach_rate: float
    # Of the requests, the complaints (category type `complaint`), reported apart.
    complaints: int = 0
    satisfaction_average: float | None = None
    satisfaction_count: int = 0


class ChannelReportView(Message):
    segment_by: str
    since: datetime | None
    until: datetime | None
    rows: tuple[ChannelReportRow, ...]


class ChannelReport(Query[ChannelReportView]):
    """Requests by channel and client segment registered in [since, until): how many,
    their share, first-response and resolution medians (business seconds), breach rate."""

    ROUTING_KEY: ClassVar[str] = "sla.channel_report"

    since: datetime | None = None
    until: datetime | None = None
    segment_by: str = Field(default="package", pattern="^(" + "|".join(CHANNEL_SEGMENTS) + ")$")


# --- satisfaction: the low ratings the heads' board shows (SPEC §12) --------------------


class LowRatingView(Message):
    incident_id: UUID
    number: str
    score: int
    rated_at: datetime
    organization_id: UUID
    # Who worked the incident (as the rating found it, else as sla knows it).
    assignee_id: UUID | None


class LowRatings(Message):
    items: tuple[LowRatingView, ...]


class ListLowRatings(Query[LowRatings]):
    """The latest ratings of 1–2 (a reopen takes its rating away), newest first."""

    ROUTING_KEY: ClassVar[str] = "sla.list_low_ratings"

    limit: int = Field(default=20, ge=1, le=200)
