"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from desk_contracts.enums import (
    Channel,
    EntryKind,
    Locale,
    Priority,
    Role,
    Scope,
    Status,
    Visibility,
)
from desk_contracts.messages import Name, Title
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _exact_int(value: Any) -> Any:
    # Litestar validates bodies in lax mode, where true and "5" pass as numbers.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _exact_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# JSON's own types, nothing coerced into them.
WholeNumber = Annotated[int, BeforeValidator(_exact_int)]
Flag = Annotated[bool, BeforeValidator(_exact_bool)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Body):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: UUID
    username: str
    display_name: str
    email: str | None
    phone: str | None
    locale: Locale
    role: Role
    organization_id: UUID | None
    scope: Scope | None


class NewIncident(Body):
    title: Title
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel | None = None
    # Staff filing on a client's behalf name the client; clients file for themselves.
    requester_id: UUID | None = None


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
    entries: list[Entry]


# --- sessions, accounts, categories and incident work ---------------------------------


class LoginResponse(BaseModel):
    csrf_token: str
    idle_timeout: int
    expires_in: int
    user: Me


Username = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, Field(min_length=12, max_length=1024)]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class NewUser(Body):
    username: Username
    password: Password
    display_name: Name
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale = Locale.EN
    role: Role
    organization_id: UUID | None = None
    scope: Scope | None = None


class UserChange(Body):
    password: Password | None = None
    display_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    role: Role | None = None
    organization_id: UUID | None = None
    scope: Scope | None = None
    active: bool | None = None


class UserOut(Me):
    active: bool
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    total: int
    items: list[UserOut]


class NewOrganization(Body):
    name: Name
    account_manager_id: UUID | None = None
    contract_id: UUID | None = None
    ip_allow_list: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=100
    )


class OrganizationChange(Body):
    name: Name | None = None
    account_manager_id: UUID | None = None
    contract_id: UUID | None = None
    ip_allow_list: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=100
    )


class OrganizationOut(BaseModel):
    id: UUID
    name: str
    account_manager_id: UUID | None
    contract_id: UUID | None
    ip_allow_list: list[str]
    created_at: datetime
    updated_at: datetime


class OrganizationPage(BaseModel):
    total: int
    items: list[OrganizationOut]


CategoryCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class NewCategory(Body):
    parent_id: UUID | None = None
    code: CategoryCode
    name: Name
    colour: Colour = "#607d8b"
    escalation_contact_id: UUID | None = None


class CategoryChange(Body):
    name: Name | None = None
    colour: Colour | None = None
    escalation_contact_id: UUID | None = None


class CategoryOut(BaseModel):
    id: UUID
    parent_id: UUID | None
    code: str
    path: list[str]
    name: str
    colour: str
    escalation_contact_id: UUID | None


class CategoryPage(BaseModel):
    total: int
    items: list[CategoryOut]


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
