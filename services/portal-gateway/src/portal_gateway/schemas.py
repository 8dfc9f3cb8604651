"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
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
from pydantic import BaseModel, ConfigDict, Field


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
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel | None = None
    # Staff filing on a client's behalf name the client; clients file for themselves.
    requester_id: UUID | None = None


class Created(BaseModel):
    id: UUID
    number: str


class Entry(BaseModel):
    id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None
    text: str
    created_at: datetime


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
    entries: list[Entry]
