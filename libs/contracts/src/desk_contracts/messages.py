"""Every event, command and query the services exchange, with its routing key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from .enums import Channel, EntryKind, Locale, Presence, Priority, Role, Scope, Status, Visibility
from .envelope import Command, Event, Message, Query

# Deeper pages than this are refused: nobody reads the millionth row by paging, and the
# bound keeps every OFFSET within the database's integer range.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
# Contract versions are stored as 32-bit integers.
MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]
# The most open incidents one agent's profile may hold.
MAX_CAPACITY = 1000
Capacity = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]

CategoryPath = tuple[str, ...]


def _not_blank(value: str) -> str:
    """Surrounding whitespace goes; nothing but whitespace is refused."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


def _plausible(value: datetime) -> datetime:
    # Business time is counted forward for years from here; near the end of the
    # calendar (year 9999) that overflows.
    if not 1970 <= value.year <= 9000:
        raise ValueError("must lie between the years 1970 and 9000")
    return value


# An instant someone types (a preview's registration, a pause): within computable years.
Instant = Annotated[datetime, AfterValidator(_plausible)]

# What people read as a label: trimmed, and never blank.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
Title = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_not_blank)]


# --- identities (portal-gateway owns users and organizations) -------------------------


class Principal(Message):
    """Who is asking; services filter at the source with it."""

    user_id: UUID
    role: Role
    organization_id: UUID | None = None
    scope: Scope | None = None


class UserUpserted(Event):
    ROUTING_KEY: ClassVar[str] = "user.upserted"

    user_id: UUID
    username: str
    display_name: str
    email: str | None = None
    phone: str | None = None
    locale: Locale = Locale.EN
    role: Role
    organization_id: UUID | None = None
    scope: Scope | None = None
    active: bool = True


class OrganizationUpserted(Event):
    ROUTING_KEY: ClassVar[str] = "organization.upserted"

    organization_id: UUID
    name: str
    account_manager_id: UUID | None = None
    contract_id: UUID | None = None


# --- categories (intake owns the tree) ------------------------------------------------


class UpsertCategory(Command):
    ROUTING_KEY: ClassVar[str] = "intake.category.upsert"

    category_id: UUID
    parent_id: UUID | None = None
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Name
    colour: str = Field(default="#607d8b", pattern=r"^#[0-9a-fA-F]{6}$")
    escalation_contact_id: UUID | None = None


# --- incidents (intake owns them) -----------------------------------------------------


class IncidentRegistered(Event):
    ROUTING_KEY: ClassVar[str] = "incident.registered"

    incident_id: UUID
    number: str
    title: str
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    channel: Channel
    requester_id: UUID
    organization_id: UUID
    registered_at: datetime


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


class IncidentStatusChanged(Event):
    ROUTING_KEY: ClassVar[str] = "incident.status_changed"

    incident_id: UUID
    number: str
    previous: Status
    status: Status
    changed_at: datetime
    actor_id: UUID | None = None
    assignee_id: UUID | None = None
    requester_id: UUID
    category_path: CategoryPath
    priority: Priority


# --- SLA (sla owns contracts, calendars and deadlines) --------------------------------


class DeadlinesSet(Event):
    ROUTING_KEY: ClassVar[str] = "sla.deadlines_set"

    incident_id: UUID
    contract_id: UUID
    contract_name: str
    contract_version: int
    response_due: datetime
    resolution_due: datetime
    computed_at: datetime


# --- SLA administration and questions (request/reply; sla answers) --------------------

ESCALATION_AUDIENCES = ("group_head", "department_head", "escalation_contact")
SLA_REPORT_GROUPS = (
    "none",
    "organization",
    "category",
    "agent",
    "priority",
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


class SaveCalendar(Query):
    """Creates a calendar (no id) or replaces one; new computations use the new hours."""

    ROUTING_KEY: ClassVar[str] = "sla.save_calendar"

    calendar_id: UUID | None = None
    calendar: CalendarSpec


class GetCalendar(Query):
    ROUTING_KEY: ClassVar[str] = "sla.get_calendar"

    calendar_id: UUID


class ListCalendars(Query):
    ROUTING_KEY: ClassVar[str] = "sla.list_calendars"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class CalendarList(Message):
    items: tuple[CalendarView, ...]
    total: int


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
    """E.g. 15 e-mail consultations a month."""

    channel: Channel
    per_month: int = Field(ge=0)
    category_path: CategoryPath = Field(default=(), max_length=3)


class ContractSpec(Message):
    name: Name
    calendar_id: UUID
    targets: tuple[TargetSpec, ...] = Field(min_length=1, max_length=500)
    # None = the default ladder of the product (1 and 2 business days; critical: 1).
    escalation: tuple[EscalationStepSpec, ...] | None = Field(default=None, max_length=20)
    quotas: tuple[QuotaSpec, ...] = Field(default=(), max_length=100)
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


class SaveContract(Query):
    """Creates a contract (no id, version 1) or adds its next version; incidents keep
    the version they were registered under."""

    ROUTING_KEY: ClassVar[str] = "sla.save_contract"

    contract_id: UUID | None = None
    contract: ContractSpec


class GetContract(Query):
    ROUTING_KEY: ClassVar[str] = "sla.get_contract"

    contract_id: UUID
    version: VersionNumber | None = None


class ListContracts(Query):
    """The latest version of every contract."""

    ROUTING_KEY: ClassVar[str] = "sla.list_contracts"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class ContractList(Message):
    items: tuple[ContractView, ...]
    total: int


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


class PreviewDeadlines(Query):
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


class GetIncidentSla(Query):
    """Asked only after intake confirmed the principal may see the incident; `staff`
    adds what clients never see (escalation steps and timers)."""

    ROUTING_KEY: ClassVar[str] = "sla.get_incident_sla"

    incident_id: UUID
    locale: Locale = Locale.EN
    staff: bool = False


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


class SlaReport(Query):
    """Statistics of incidents registered in [since, until), filtered and grouped."""

    ROUTING_KEY: ClassVar[str] = "sla.report"

    since: datetime | None = None
    until: datetime | None = None
    organization_id: UUID | None = None
    category_path: CategoryPath = Field(default=(), max_length=3)
    agent_id: UUID | None = None
    priority: Priority | None = None
    group_by: str = Field(default="none", pattern="^(" + "|".join(SLA_REPORT_GROUPS) + ")$")


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


class SlaReportView(Message):
    group_by: str
    since: datetime | None
    until: datetime | None
    total: SlaReportRow
    groups: tuple[SlaReportRow, ...]


# --- routing (routing owns agent profiles) --------------------------------------------


class UpsertAgentProfile(Command):
    ROUTING_KEY: ClassVar[str] = "routing.agent.upsert"

    agent_id: UUID
    skills: tuple[CategoryPath, ...] = ((),)
    capacity: Capacity = 10
    presence: Presence = Presence.OFFLINE
    group_head_id: UUID | None = None


# --- queries the gateway asks (request/reply) -----------------------------------------


class CreateIncident(Query):
    """Registers an incident; `request_id` makes a retried request return the same one."""

    ROUTING_KEY: ClassVar[str] = "intake.create_incident"

    request_id: UUID
    principal: Principal
    requester_id: UUID
    organization_id: UUID
    title: Title
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.API
    # Files filed with the incident (stored by the gateway already) form its first entry.
    attachments: tuple[AttachmentMeta, ...] = Field(default=(), max_length=20)


class IncidentCreated(Message):
    incident_id: UUID
    number: str


class GetIncident(Query):
    ROUTING_KEY: ClassVar[str] = "intake.get_incident"

    principal: Principal
    incident_id: UUID


class AttachmentView(Message):
    """Metadata of a stored file; the bytes stay in the gateway's blob store."""

    attachment_id: UUID
    entry_id: UUID
    incident_id: UUID
    filename: str
    size: int
    sha256: str
    declared_type: str
    sniffed_type: str
    created_at: datetime


class EntryView(Message):
    entry_id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None
    text: str
    created_at: datetime
    author_role: Role | None = None
    attachments: tuple[AttachmentView, ...] = ()


class IncidentView(Message):
    incident_id: UUID
    number: str
    title: str
    description: str
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    channel: Channel
    status: Status
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None
    response_due: datetime | None
    resolution_due: datetime | None
    created_at: datetime
    updated_at: datetime
    entries: tuple[EntryView, ...] = ()
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None


# --- shared by several areas: history, reclassification, SLA signals, reassignment -----


class EntryAdded(Event):
    """A comment or attachment line was written to the history. Internal ones are
    announced too: every consumer that can reach a client must check `visibility`
    (notify never tells a client). Status, assignment and deadline lines are not
    announced as entries: their changes have events of their own."""

    ROUTING_KEY: ClassVar[str] = "incident.entry_added"

    incident_id: UUID
    number: str
    entry_id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None = None
    author_role: Role | None = None
    text: str
    created_at: datetime
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None = None


class IncidentReclassified(Event):
    """Category or priority changed: the SLA recomputes from registration."""

    ROUTING_KEY: ClassVar[str] = "incident.reclassified"

    incident_id: UUID
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    changed_at: datetime
    actor_id: UUID | None = None


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


class CategoryUpserted(Event):
    """Intake applied an UpsertCategory: others keep the tree (names, colours, contacts)."""

    ROUTING_KEY: ClassVar[str] = "category.upserted"

    category_id: UUID
    parent_id: UUID | None = None
    path: CategoryPath
    name: str
    colour: str
    escalation_contact_id: UUID | None = None


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


# --- routing: load board, backlog, profile changes, assignment by hand (request/reply) --

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


class ListAgents(Query):
    """The load board; `agent_ids` narrows it to the named agents."""

    ROUTING_KEY: ClassVar[str] = "routing.list_agents"

    agent_ids: tuple[UUID, ...] | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class AgentList(Message):
    items: tuple[AgentView, ...]
    total: int


class ChangeAgentProfile(Query):
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


class GetBacklog(Query):
    ROUTING_KEY: ClassVar[str] = "routing.get_backlog"

    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


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


class Backlog(Message):
    items: tuple[BacklogItem, ...]
    total: int


class AssignByHand(Query):
    """Staff give an incident to a named agent; decided under the agent's row lock so the
    answer says what really happened. `override` lets a head exceed capacity or pick an
    agent who is not online. The incident's facts come from intake's view of it."""

    ROUTING_KEY: ClassVar[str] = "routing.assign_by_hand"

    incident_id: UUID
    agent_id: UUID
    actor_id: UUID
    override: bool = False
    category_path: CategoryPath
    priority: Priority
    registered_at: datetime


class AssignmentMade(Message):
    incident_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None = None
    changed: bool
    reason: str
    load: int
    capacity: int


class ReconcileLoads(Query):
    """Operators: make routing's books (assignments, backlog, loads) agree with intake's
    incidents, which are the truth of what is open and whom intake records as assignee."""

    ROUTING_KEY: ClassVar[str] = "routing.reconcile_loads"

    actor_id: UUID | None = None


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


# --- notifications (notify owns preferences, templates and deliveries) ----------------

NOTIFICATION_KINDS = (
    "incident_registered",
    "incident_assigned",
    "public_reply",
    "waiting_on_client",
    "resolved",
    "reminder",
    "escalation",
    "breach",
)
NOTIFICATION_CHANNELS = ("email", "sms")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class NotificationPreference(Message):
    event_kind: str = Field(pattern="^(" + "|".join(NOTIFICATION_KINDS) + ")$")
    channel: str = Field(pattern="^(" + "|".join(NOTIFICATION_CHANNELS) + ")$")
    enabled: bool
    # True when the user chose it; False when it is the default for the user's role.
    chosen: bool = False


class NotificationPreferences(Message):
    user_id: UUID
    preferences: tuple[NotificationPreference, ...]


class GetNotificationPreferences(Query):
    """The principal's own preferences: every kind its role can receive × channel."""

    ROUTING_KEY: ClassVar[str] = "notify.get_preferences"

    principal: Principal


class SetNotificationPreferences(Query):
    """Changes the listed (kind, channel) pairs of the principal's own preferences."""

    ROUTING_KEY: ClassVar[str] = "notify.set_preferences"

    principal: Principal
    preferences: tuple[NotificationPreference, ...] = Field(max_length=64)


class NotificationAttempt(Message):
    attempt: int
    attempted_at: datetime
    outcome: str  # "sent" | "failed"
    answer: str | None = None


class NotificationView(Message):
    notification_id: UUID
    event_id: UUID
    event_kind: str
    incident_id: UUID | None
    recipient_id: UUID
    channel: str
    address: str
    locale: Locale
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    body_text: str | None = None
    log: tuple[NotificationAttempt, ...] = ()


class NotificationPage(Message):
    total: int
    items: tuple[NotificationView, ...]


class ListNotifications(Query):
    """Staff's view of the delivery log, newest first."""

    ROUTING_KEY: ClassVar[str] = "notify.list_notifications"

    principal: Principal
    incident_id: UUID | None = None
    recipient_id: UUID | None = None
    status: str | None = Field(default=None, pattern="^(" + "|".join(DELIVERY_STATUSES) + ")$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class GetNotification(Query):
    """One delivery with every attempt and the provider's answers."""

    ROUTING_KEY: ClassVar[str] = "notify.get_notification"

    principal: Principal
    notification_id: UUID


class RetryNotification(Query):
    """Admin: send a failed (dead-lettered) delivery again."""

    ROUTING_KEY: ClassVar[str] = "notify.retry_notification"

    principal: Principal
    notification_id: UUID


# --- incident work and search (gateway asks intake) ------------------------------------

INCIDENT_SORTS = ("created", "-created", "updated", "-updated", "due", "-due")


class AttachmentMeta(Message):
    """A file the gateway already stored by content hash, sent with its entry."""

    attachment_id: UUID
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    declared_type: str = Field(max_length=255)
    sniffed_type: str = Field(max_length=255)


class ListIncidents(Query):
    """A page of the incidents the principal may see; `q` searches title, description
    and the entries the principal may read (Russian and English stemming)."""

    ROUTING_KEY: ClassVar[str] = "intake.list_incidents"

    principal: Principal
    statuses: tuple[Status, ...] = ()
    category_id: UUID | None = None
    priorities: tuple[Priority, ...] = ()
    assignee_id: UUID | None = None
    unassigned: bool = False
    organization_id: UUID | None = None
    q: str | None = Field(default=None, max_length=500)
    overdue: bool | None = None
    sort: str = Field(default="-created", pattern="^(" + "|".join(INCIDENT_SORTS) + ")$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class IncidentListItem(Message):
    incident_id: UUID
    number: str
    title: str
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    channel: Channel
    status: Status
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None
    response_due: datetime | None
    resolution_due: datetime | None
    created_at: datetime
    updated_at: datetime


class IncidentPage(Message):
    # Counted exactly up to a cap; beyond it `total` is the cap and `total_exact` false
    # ("10,000+"): an exact count of a huge match set costs more than the page itself.
    total: int
    items: tuple[IncidentListItem, ...]
    total_exact: bool = True


class AddEntry(Query):
    """A history line by the principal (+ files); a client's reply to an incident that
    waits on it moves it back to in_progress. `request_id` makes a retry harmless."""

    ROUTING_KEY: ClassVar[str] = "intake.add_entry"

    request_id: UUID
    principal: Principal
    incident_id: UUID
    text: str = Field(max_length=1_000_000)
    visibility: Visibility | None = None
    attachments: tuple[AttachmentMeta, ...] = Field(default=(), max_length=20)


class EntryCreated(Message):
    entry_id: UUID
    incident_id: UUID
    status: Status


class ChangeStatus(Query):
    ROUTING_KEY: ClassVar[str] = "intake.change_status"

    principal: Principal
    incident_id: UUID
    status: Status
    reason: str = Field(default="", max_length=10_000)


class UpdateIncident(Query):
    """Staff change title, category or priority; category/priority announce a
    reclassification so the SLA recomputes."""

    ROUTING_KEY: ClassVar[str] = "intake.update_incident"

    principal: Principal
    incident_id: UUID
    title: Title | None = None
    category_id: UUID | None = None
    priority: Priority | None = None


class RateIncident(Query):
    ROUTING_KEY: ClassVar[str] = "intake.rate_incident"

    principal: Principal
    incident_id: UUID
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=10_000)


class CountIncidents(Query):
    """Staff's tree: counts by category × priority × status."""

    ROUTING_KEY: ClassVar[str] = "intake.count_incidents"

    principal: Principal
    organization_id: UUID | None = None


class IncidentCount(Message):
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    status: Status
    count: int


class IncidentCounts(Message):
    total: int
    groups: tuple[IncidentCount, ...]


# At most this many incidents in one page of intake's open incidents.
MAX_STATE_PAGE = 5000


class ListIncidentStates(Query):
    """Intake's truth for routing's reconciliation: the open incidents in id order after
    `after` (keyset paging), or, with `incident_ids`, the named ones whatever their state
    (unknown ids are left out of the answer)."""

    ROUTING_KEY: ClassVar[str] = "intake.list_incident_states"

    after: UUID | None = None
    incident_ids: tuple[UUID, ...] | None = Field(default=None, max_length=MAX_STATE_PAGE)
    limit: int = Field(default=1000, ge=1, le=MAX_STATE_PAGE)


class IncidentState(Message):
    incident_id: UUID
    status: Status
    assignee_id: UUID | None = None
    # When the assignment intake records was made (routing's decision time).
    assigned_at: datetime | None = None
    category_path: CategoryPath
    priority: Priority
    registered_at: datetime


class IncidentStates(Message):
    items: tuple[IncidentState, ...]
    # The cursor of the next page of open incidents; None on the last one.
    next_after: UUID | None = None


class GetAttachment(Query):
    ROUTING_KEY: ClassVar[str] = "intake.get_attachment"

    principal: Principal
    attachment_id: UUID


class CategoryView(Message):
    category_id: UUID
    parent_id: UUID | None
    code: str
    path: CategoryPath
    name: str
    colour: str
    escalation_contact_id: UUID | None


class CategoryList(Message):
    items: tuple[CategoryView, ...]


class ListCategories(Query):
    ROUTING_KEY: ClassVar[str] = "intake.list_categories"

    principal: Principal


class SaveCategory(Query):
    """Admin: create or change a node of the category tree and hear the outcome
    (the seed sends UpsertCategory as a command instead)."""

    ROUTING_KEY: ClassVar[str] = "intake.save_category"

    principal: Principal
    category: UpsertCategory
    create: bool
