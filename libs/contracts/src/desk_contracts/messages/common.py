"""Bounds, labels and the asker shared by the messages of every context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field

from ..enums import Role, Scope
from ..envelope import Message

# Deeper pages than this are refused: nobody reads the millionth row by paging, and the
# bound keeps every OFFSET within the database's integer range.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]

# A category as the codes from the root down: ("hardware", "printers").
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


# --- the asker ------------------------------------------------------------------------


class Principal(Message):
    """Who is asking; services filter at the source with it."""

    user_id: UUID
    role: Role
    organization_id: UUID | None = None
    scope: Scope | None = None
