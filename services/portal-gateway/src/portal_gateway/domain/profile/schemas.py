"""What a user may change of themselves."""

from __future__ import annotations

from desk_contracts.enums import Locale
from desk_contracts.messages import Name
from desk_runtime.local_time import zone_named
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from ...schemas import Body
from ..accounts.schemas import Email, Password, Phone


class ProfileChange(Body):
    """The fields given are changed; an empty e-mail or phone removes it."""

    display_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    # An IANA zone (`Europe/Moscow`); null goes back to the organization's or desk's.
    time_zone: str | None = Field(default=None, max_length=64)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and zone_named(value) is None:
            raise PydanticCustomError(
                "time_zone", "Unknown time zone; pick one from the list, e.g. Europe/Moscow."
            )
        return value


class PasswordChange(Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password
