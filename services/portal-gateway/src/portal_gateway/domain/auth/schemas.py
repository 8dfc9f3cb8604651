"""Bodies of signing in and out, and the principal as the API shows it."""

from __future__ import annotations

from uuid import UUID

from desk_contracts.enums import (
    Locale,
    Role,
    Scope,
)
from pydantic import BaseModel, Field

from ...schemas import Body


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
    # The zone chosen for reading times (IANA); null: the organization's or the desk's.
    time_zone: str | None = None


class LoginResponse(BaseModel):
    csrf_token: str
    idle_timeout: int
    expires_in: int
    user: Me
