"""Notifications over the JSON API: each user's own preferences, and the delivery log for
staff (every message sent or failed, with each attempt and the provider's answer)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.messages import NotificationPreferences, NotificationView
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, post, put

from ...accounts import User
from ...deps import Limit, Offset
from ...guards import admins_only, signed_in, staff_only
from . import service
from .schemas import (
    Attempt,
    Notification,
    NotificationDetail,
    NotificationList,
    Preference,
    PreferenceChanges,
    Preferences,
)


def _preferences(request: Request[Any, Any, Any], answer: NotificationPreferences) -> Preferences:
    return Preferences(
        preferences=[Preference(**p.model_dump()) for p in answer.preferences],
        sms_available=bool(request.app.state.service.settings.sms.url),
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
    guards = [signed_in]

    @get("/", operation_id="getNotificationPreferences")
    async def read(
        self, request: Request[Any, Any, Any], user: User, client: RpcClient
    ) -> Preferences:
        """Which notifications you get, per kind and channel."""
        return _preferences(request, await service.preferences(client, user))

    @put("/", operation_id="setNotificationPreferences")
    async def change(
        self,
        request: Request[Any, Any, Any],
        data: PreferenceChanges,
        user: User,
        client: RpcClient,
    ) -> Preferences:
        """Turn notifications on or off per kind and channel; answers the whole set."""
        return _preferences(request, await service.change_preferences(client, user, data))


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    guards = [signed_in]

    @get("/", operation_id="listNotifications", guards=[staff_only])
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
        page = await service.delivery_log(
            client,
            user,
            incident_id=incident_id,
            recipient_id=recipient_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return NotificationList(
            total=page.total,
            limit=limit,
            offset=offset,
            items=[Notification(**_notification(item)) for item in page.items],
        )

    @get("/{notification_id:uuid}", operation_id="getNotification", guards=[staff_only])
    async def detail(
        self, notification_id: UUID, user: User, client: RpcClient
    ) -> NotificationDetail:
        """One notification with its text and every attempt with the provider's answer."""
        return _detail(await service.notification(client, user, notification_id))

    @post(
        "/{notification_id:uuid}/retry",
        operation_id="retryNotification",
        status_code=200,
        guards=[staff_only, admins_only],
    )
    async def retry(
        self, notification_id: UUID, user: User, client: RpcClient
    ) -> NotificationDetail:
        """Send a failed notification again (admin): a replay of its dead letter."""
        return _detail(await service.retry(client, user, notification_id))
