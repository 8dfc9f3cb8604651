"""Bodies of the e-mail channel's API: the quarantine as admins read it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class QuarantinedMail(BaseModel):
    mail_id: UUID
    message_id: str
    envelope_from: str
    recipients: list[str]
    size: int
    received_at: datetime
    quarantined_at: datetime
    attempts: int
    error: str


class QuarantinePage(BaseModel):
    items: list[QuarantinedMail]
    total: int
    limit: int
    offset: int


class Released(BaseModel):
    mail_id: UUID
    status: str
    reason: str | None
    incident_id: UUID | None
