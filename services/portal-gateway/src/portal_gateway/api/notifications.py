"""Notifications: each user's own preferences, and the delivery log for staff (every
message sent or failed, with each attempt and the provider's answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from desk_contracts.enums import Locale, Role
from desk_contracts.messages import (
    DELIVERY_STATUSES,
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    GetNotification,
    GetNotificationPreferences,
    ListNotifications,
    NotificationPage,
    NotificationPreference,
    NotificationPreferences,
    NotificationView,
    RetryNotification,
    SetNotificationPreferences,
)
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from pydantic import BaseModel, ConfigDict, Field

from ..accounts import User
from .deps import Limit, Offset, current_user, field_error, require_staff, rpc


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


def _preferences(request: Request[Any, Any, Any], answer: NotificationPreferences) -> Preferences:
    return Preferences(
        preferences=[Preference(**p.model_dump()) for p in answer.preferences],
        sms_available=bool(request.app.state.service.settings.sms_url),
    )


def _notification(view: NotificationView) -> dict[str, Any]:
    data = view.model_dump(exclude={"log", "body_text"})
    data["id"] = data.pop("notification_id")
    data["attempt_count"] = data.pop("attempts")
    return data


def _detail(view: NotificationView) -> NotificationDetail:
    return NotificationDetail(
        **_notification(view),
        body_text=view.body_text,
        attempts=[Attempt(**a.model_dump()) for a in view.log],
    )


class NotificationPreferenceController(Controller):
    path = "/api/v1/me/notification-preferences"
    tags = ["notifications"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="getNotificationPreferences")
    async def read(
        self, request: Request[Any, Any, Any], user: User, client: RpcClient
    ) -> Preferences:
        """Which notifications you get, per kind and channel."""
        answer = await client.ask_as(
            GetNotificationPreferences(principal=user.principal), NotificationPreferences
        )
        return _preferences(request, answer)

    @put("/", operation_id="setNotificationPreferences")
    async def change(
        self,
        request: Request[Any, Any, Any],
        data: PreferenceChanges,
        user: User,
        client: RpcClient,
    ) -> Preferences:
        """Turn notifications on or off per kind and channel; answers the whole set."""
        answer = await client.ask_as(
            SetNotificationPreferences(
                principal=user.principal,
                preferences=tuple(
                    NotificationPreference(**item.model_dump()) for item in data.preferences
                ),
            ),
            NotificationPreferences,
        )
        return _preferences(request, answer)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listNotifications")
    async def list_notifications(
        self,
        user: User,
        client: RpcClient,
        incident_id: UUID | None = None,
        recipient_id: UUID | None = None,
        status: str | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> NotificationList:
        """The delivery log, newest first (staff)."""
        require_staff(user)
        if status is not None and status not in DELIVERY_STATUSES:
            raise field_error("status", f"one of: {', '.join(DELIVERY_STATUSES)}")
        page = await client.ask_as(
            ListNotifications(
                principal=user.principal,
                incident_id=incident_id,
                recipient_id=recipient_id,
                status=status,
                limit=limit,
                offset=offset,
            ),
            NotificationPage,
        )
        return NotificationList(
            total=page.total,
            limit=limit,
            offset=offset,
            items=[Notification(**_notification(item)) for item in page.items],
        )

    @get("/{notification_id:uuid}", operation_id="getNotification")
    async def detail(
        self, notification_id: UUID, user: User, client: RpcClient
    ) -> NotificationDetail:
        """One notification with its text and every attempt with the provider's answer."""
        require_staff(user)
        view = await client.ask_as(
            GetNotification(principal=user.principal, notification_id=notification_id),
            NotificationView,
        )
        return _detail(view)

    @post("/{notification_id:uuid}/retry", operation_id="retryNotification", status_code=200)
    async def retry(
        self, notification_id: UUID, user: User, client: RpcClient
    ) -> NotificationDetail:
        """Send a failed notification again (admin): a replay of its dead letter."""
        require_staff(user)
        if user.role is not Role.ADMIN:
            raise PermissionDeniedException("admins only")
        view = await client.ask_as(
            RetryNotification(principal=user.principal, notification_id=notification_id),
            NotificationView,
        )
        return _detail(view)
