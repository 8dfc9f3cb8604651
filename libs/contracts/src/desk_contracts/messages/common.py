"""Bounds, labels and the asker shared by the messages of every context."""

from __future__ import annotations

import re
import unicodedata
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


# Bidirectional embedding, override and isolate controls, and the directional marks: in a
# name or a title they only serve to make "rtl\u202egnp.exe" read as "…exe.png".
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(value: str) -> str:
    """The text with its bidirectional controls removed (names, titles, file names)."""
    return BIDI_CONTROLS.sub("", value)


def _invisible(ch: str) -> bool:
    """Whitespace, or a format character that draws nothing (zero-width space, joiners,
    the byte-order mark)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _not_blank(value: str) -> str:
    """Bidi controls and surrounding whitespace go; text that shows nothing (only
    whitespace or zero-width characters) is refused."""
    stripped = without_bidi_controls(value).strip()
    if all(_invisible(ch) for ch in stripped):
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
