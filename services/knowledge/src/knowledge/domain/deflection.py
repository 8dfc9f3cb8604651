"""Deflections: a client who, while filling in the form, said a suggestion solved their
problem and left without filing. The page records it (the suggestion's *solved*
answer, shown for a draft: no incident yet); a *helped* alone is not a deflection, as
the client may still file. A record is taken back when the same client files an
incident in the suggestion's category (any category, when none was chosen) between the
showing and `WINDOW` after the record: they were not helped enough after all. Until the
window has passed a deflection counts provisionally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from desk_contracts.enums import Role

WINDOW = timedelta(hours=1)


def may_deflect(role: Role, incident_id: UUID | None) -> bool:
    """Only a client's suggestion shown before filing can record a request not made."""
    return role is Role.CLIENT and incident_id is None


@dataclass(frozen=True)
class Answered:
    """A suggestion the client answered *solved* (`answered_at`: when it was recorded)."""

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
    if not may_deflect(answer.role, answer.incident_id):
        return False
    until = answer.answered_at + window
    return not any(
        incident.requester_id == answer.user_id
        and answer.shown_at <= incident.registered_at <= until
        and (answer.category_id is None or incident.category_id == answer.category_id)
        for incident in filed
    )
