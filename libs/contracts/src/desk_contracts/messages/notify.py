"""Notification preferences and the delivery log: notify owns them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ..enums import Locale
from ..envelope import Message, Query, Request
from .common import Offset, Principal

NOTIFICATION_KINDS = (
    "incident_registered",
    "incident_assigned",
    "public_reply",
    "waiting_on_client",
    "resolved",
    "reopened",
    "reminder",
    "escalation",
    "breach",
    "complaint",
    "low_rating",
    "quota_used_up",
)

NOTIFICATION_CHANNELS = ("email", "sms")

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class NotificationPreference(Message):
    event_kind: str = Field(pattern="^(" + "|".join(NOTIFICATION_KINDS) + ")$")
    channel: str = Field(pattern="^(" + "|".join(NOTIFICATION_CHANNELS) + ")$")
    enabled: bool
    # True when the user chose it; False when it is the default for the user's role.
    chosen: bool = False


class NotificationPreferences(Message):
    user_id: UUID
    preferences: tuple[NotificationPreference, ...]


class GetNotificationPreferences(Query[NotificationPreferences]):
    """The principal's own preferences: every kind its role can receive × channel."""

    ROUTING_KEY: ClassVar[str] = "notify.get_preferences"

    principal: Principal


class SetNotificationPreferences(Request[NotificationPreferences]):
    """Changes the listed (kind, channel) pairs of the principal's own preferences."""

    ROUTING_KEY: ClassVar[str] = "notify.set_preferences"

    principal: Principal
    preferences: tuple[NotificationPreference, ...] = Field(max_length=64)


class NotificationAttempt(Message):
    attempt: int
    attempted_at: datetime
    outcome: str  # "sent" | "failed"
    answer: str | None = None


class NotificationView(Message):
    notification_id: UUID
    event_id: UUID
    event_kind: str
    incident_id: UUID | None
    recipient_id: UUID
    channel: str
    address: str
    locale: Locale
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    body_text: str | None = None
    log: tuple[NotificationAttempt, ...] = ()


class NotificationPage(Message):
    total: int
    items: tuple[NotificationView, ...]


class ListNotifications(Query[NotificationPage]):
    """Staff's view of the delivery log, newest first."""

    ROUTING_KEY: ClassVar[str] = "notify.list_notifications"

    principal: Principal
    incident_id: UUID | None = None
    recipient_id: UUID | None = None
    status: str | None = Field(default=None, pattern="^(" + "|".join(DELIVERY_STATUSES) + ")$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class GetNotification(Query[NotificationView]):
    """One delivery with every attempt and the provider's answers."""

    ROUTING_KEY: ClassVar[str] = "notify.get_notification"

    principal: Principal
    notification_id: UUID


class RetryNotification(Request[NotificationView]):
    """Admin: send a failed (dead-lettered) delivery again."""

    ROUTING_KEY: ClassVar[str] = "notify.retry_notification"

    principal: Principal
    notification_id: UUID


class MailThread(Message):
    incident_id: UUID | None


class FindMailThread(Query[MailThread]):
    """The incident a mail the desk sent was about, by its delivery (the local part of the
    mail's Message-ID): how a reply whose In-Reply-To names only that mail finds its
    incident. Nothing else of the mail is answered; None for no such e-mail."""

    ROUTING_KEY: ClassVar[str] = "notify.find_mail_thread"

    delivery_id: UUID
