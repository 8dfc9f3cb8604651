"""Every event, command and query the services exchange, with its routing key."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field, field_validator

from .enums import Channel, EntryKind, Locale, Presence, Priority, Role, Scope, Status, Visibility
from .envelope import Command, Event, Message, Query

CategoryPath = tuple[str, ...]


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
    name: str = Field(min_length=1, max_length=200)
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


# --- routing (routing owns agent profiles) --------------------------------------------


class UpsertAgentProfile(Command):
    ROUTING_KEY: ClassVar[str] = "routing.agent.upsert"

    agent_id: UUID
    skills: tuple[CategoryPath, ...] = ((),)
    capacity: int = Field(default=10, ge=0, le=1000)
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
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.API

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class IncidentCreated(Message):
    incident_id: UUID
    number: str


class GetIncident(Query):
    ROUTING_KEY: ClassVar[str] = "intake.get_incident"

    principal: Principal
    incident_id: UUID


class EntryView(Message):
    entry_id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None
    text: str
    created_at: datetime


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


# --- shared by several areas: history, reclassification, SLA signals, reassignment -----


class EntryAdded(Event):
    """A history line was written. Internal entries are announced too: every consumer
    that can reach a client must check `visibility` (notify never tells a client)."""

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
    clock: str  # "response" | "resolution"
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
    clock: str  # "response" | "resolution"
    due_at: datetime
    fired_at: datetime


class AssignIncident(Command):
    """Staff assign by hand."""

    ROUTING_KEY: ClassVar[str] = "routing.incident.assign"

    incident_id: UUID
    agent_id: UUID
    actor_id: UUID


class ReassignIncident(Command):
    """Escalation: give the incident to the least-loaded eligible agent other than the
    current one (never back to them); none eligible → backlog and the head is told."""

    ROUTING_KEY: ClassVar[str] = "routing.incident.reassign"

    incident_id: UUID
    reason: str


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
