"""Deflections: a client who said a suggestion *helped* while filling in the form and
did not file after all. The suggestion was shown for a draft (no incident yet); the
client filing an incident in the suggestion's category (any category, when none was
chosen) between the showing and `WINDOW` after the answer means it did not help enough.
Until the window has passed a deflection counts provisionally: a later filing takes it
back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from desk_contracts.enums import Role

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Answered:
    """A suggestion answered *helped*."""

    user_id: UUID
    role: Role
    incident_id: UUID | None
    category_id: UUID | None
    shown_at: datetime
    answered_at: datetime


@dataclass(frozen=True)
class Filed:
    requester_id: UUID
    category_id: UUID
    registered_at: datetime


def deflected(answer: Answered, filed: Iterable[Filed], window: timedelta = WINDOW) -> bool:
    if answer.role is not Role.CLIENT or answer.incident_id is not None:
        return False
    until = answer.answered_at + window
    return not any(
        incident.requester_id == answer.user_id
        and answer.shown_at <= incident.registered_at <= until
        and (answer.category_id is None or incident.category_id == answer.category_id)
        for incident in filed
    )
