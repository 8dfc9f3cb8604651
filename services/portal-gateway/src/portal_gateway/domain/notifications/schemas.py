"""Notification preferences and the delivery log as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from desk_contracts.enums import Locale
from desk_contracts.messages import NOTIFICATION_CHANNELS, NOTIFICATION_KINDS
from pydantic import BaseModel, ConfigDict, Field


class PreferenceChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_kind: str = Field(pattern="^(" + "|".join(NOTIFICATION_KINDS) + ")$")
    channel: str = Field(pattern="^(" + "|".join(NOTIFICATION_CHANNELS) + ")$")
    enabled: bool


class PreferenceChanges(BaseModel):
    """The (kind, channel) pairs to change; pairs not listed keep their setting."""

    model_config = ConfigDict(extra="forbid")

    preferences: list[PreferenceChoice] = Field(min_length=1, max_length=64)


class Preference(BaseModel):
    event_kind: str
    channel: str
    enabled: bool
    # False: the role's default (e-mail on, SMS off), which follows future changes.
    chosen: bool


class Preferences(BaseModel):
    preferences: list[Preference]
    # SMS is sent only when the desk has an SMS provider configured.
    sms_available: bool


class Attempt(BaseModel):
    attempt: int
    attempted_at: datetime
    outcome: str
    answer: str | None


class Notification(BaseModel):
    id: UUID
    event_id: UUID
    event_kind: str
    incident_id: UUID | None
    recipient_id: UUID
    channel: str
    address: str
    locale: Locale
    subject: str
    status: str
    attempt_count: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None


class NotificationDetail(Notification):
    body_text: str | None
    attempts: list[Attempt]


class NotificationList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Notification]
