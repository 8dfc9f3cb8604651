"""Request and response bodies of the incidents area (the API, and the forms of the
portal that validate against the same models)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from desk_contracts.enums import (
    Channel,
    EntryKind,
    Priority,
    Role,
    Status,
    Visibility,
)
from desk_contracts.messages import Title
from pydantic import BaseModel, Field

from ...schemas import Body, WholeNumber


class NewIncident(Body):
    title: Title
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel | None = None
    # Staff filing on a client's behalf name the client; clients file for themselves.
    requester_id: UUID | None = None
    # The device at fault, by id or by serial number (one of the organization's).
    equipment_id: UUID | None = None
    equipment_serial: str | None = Field(default=None, max_length=100)


class Created(BaseModel):
    id: UUID
    number: str


class Attachment(BaseModel):
    id: UUID
    entry_id: UUID
    filename: str
    size: int
    sha256: str
    declared_type: str
    sniffed_type: str
    created_at: datetime
    url: str


class Entry(BaseModel):
    id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None
    author_role: Role | None = None
    text: str
    created_at: datetime
    attachments: list[Attachment] = Field(default_factory=list)
    # A system line's facts ({"line": "status", "from": …, "to": …}) for wording it in
    # the caller's language; null for people's words.
    facts: dict[str, str] | None = None


class IncidentDevice(BaseModel):
    """The device the incident names, covered or not on the registration date."""

    id: UUID
    manufacturer: str
    model: str
    serial_number: str
    under_warranty: bool
    under_service_contract: bool
    url: str


class Incident(BaseModel):
    id: UUID
    number: str
    title: str
    description: str
    category_id: UUID
    category_path: list[str]
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
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    # Staff: the statuses the caller may set now (clients confirm or reopen).
    allowed_statuses: list[Status] = []
    equipment: IncidentDevice | None = None
    entries: list[Entry]


class IncidentListItem(BaseModel):
    id: UUID
    number: str
    title: str
    category_id: UUID
    category_path: list[str]
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


class IncidentPage(BaseModel):
    # Exact up to 10,000 matches; beyond, `total` is 10,000 and `total_exact` false.
    total: int
    total_exact: bool = True
    limit: int
    offset: int
    items: list[IncidentListItem]


class NewEntry(Body):
    text: str = Field(default="", max_length=1_000_000)
    visibility: Visibility | None = None


class EntryCreatedOut(BaseModel):
    id: UUID
    incident_id: UUID
    status: Status
    attachments: list[UUID]


class StatusChange(Body):
    status: Status
    reason: str = Field(default="", max_length=10_000)


class IncidentChange(Body):
    title: Title | None = None
    category_id: UUID | None = None
    priority: Priority | None = None
    # The channel the request really came by: its quota count moves with it.
    channel: Channel | None = None


class RatingIn(Body):
    score: WholeNumber = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=10_000)


class SummaryGroup(BaseModel):
    category_id: UUID
    category_path: list[str]
    priority: Priority
    status: Status
    count: int


class Summary(BaseModel):
    total: int
    groups: list[SummaryGroup]
