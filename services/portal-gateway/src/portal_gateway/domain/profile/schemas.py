"""What a user may change of themselves."""

from __future__ import annotations

from desk_contracts.enums import Locale
from desk_contracts.messages import Name
from pydantic import Field

from ...schemas import Body
from ..accounts.schemas import Email, Password, Phone


class ProfileChange(Body):
    """The fields given are changed; an empty e-mail or phone removes it."""

    display_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale | None = None


class PasswordChange(Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password
