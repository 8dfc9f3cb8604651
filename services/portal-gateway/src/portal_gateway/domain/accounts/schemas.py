"""Users and organizations as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from desk_contracts.enums import (
    Locale,
    Priority,
    Role,
    Scope,
)
from desk_contracts.messages import Name
from pydantic import BaseModel, Field

from ...schemas import Body
from ..auth.schemas import Me

Username = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")]


Password = Annotated[str, Field(min_length=12, max_length=1024)]


Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]


Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


# A domain the organization owns: mail from an unknown address of it files a new contact
# (checked and normalised by `domain/mail/contacts.py`).
MailDomain = Annotated[str, Field(min_length=1, max_length=255)]


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
    mail_domains: list[MailDomain] = Field(default_factory=list, max_length=100)
    locale: Locale = Locale.EN


class OrganizationChange(Body):
    name: Name | None = None
    account_manager_id: UUID | None = None
    contract_id: UUID | None = None
    ip_allow_list: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=100
    )
    # What its clients' e-mail is filed under (null: the first category of the tree).
    mail_category_id: UUID | None = None
    mail_priority: Priority | None = None
    # Its own e-mail domains (the whole list; [] clears it): mail from an unknown address
    # of one files a new contact of the organization.
    mail_domains: list[MailDomain] | None = Field(default=None, max_length=100)
    # The language of such a contact when the mail names none.
    locale: Locale | None = None


class OrganizationOut(BaseModel):
    id: UUID
    name: str
    account_manager_id: UUID | None
    contract_id: UUID | None
    ip_allow_list: list[str]
    mail_category_id: UUID | None = None
    mail_priority: Priority = Priority.NORMAL
    mail_domains: list[str] = Field(default_factory=list)
    locale: Locale = Locale.EN
    created_at: datetime
    updated_at: datetime


class OrganizationPage(BaseModel):
    total: int
    items: list[OrganizationOut]
