"""Users and organizations: the portal-gateway owns them and announces every change."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from ..enums import Locale, Role, Scope
from ..envelope import Event


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
    # The zone the user chose to read times in (IANA); None: their organization's or
    # the desk's.
    time_zone: str | None = None


class OrganizationUpserted(Event):
    ROUTING_KEY: ClassVar[str] = "organization.upserted"

    organization_id: UUID
    name: str
    account_manager_id: UUID | None = None
    contract_id: UUID | None = None


class PasswordResetRequested(Event):
    """Someone asked for a new password of this account (by its login or e-mail): notify
    mails the link to the account's e-mail, in its language. The token travels only
    here and in that mail; the gateway keeps nothing but its hash."""

    ROUTING_KEY: ClassVar[str] = "user.password_reset_requested"

    user_id: UUID
    username: str
    token: str
    expires_at: datetime
