"""Notification use cases: each user's own preferences, the delivery log for staff, and
sending a failed notification again (a replay of its dead letter, admins). Notify owns
all of it; the gateway asks with the principal."""

from __future__ import annotations

from uuid import UUID

from desk_contracts.messages import (
    DELIVERY_STATUSES,
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

from ...accounts import User
from ...deps import field_error
from .schemas import PreferenceChanges


async def preferences(client: RpcClient, user: User) -> NotificationPreferences:
    return await client.ask_as(
        GetNotificationPreferences(principal=user.principal), NotificationPreferences
    )


async def change_preferences(
    client: RpcClient, user: User, data: PreferenceChanges
) -> NotificationPreferences:
    return await client.ask_as(
        SetNotificationPreferences(
            principal=user.principal,
            preferences=tuple(
                NotificationPreference(**item.model_dump()) for item in data.preferences
            ),
        ),
        NotificationPreferences,
    )


async def delivery_log(
    client: RpcClient,
    user: User,
    *,
    incident_id: UUID | None,
    recipient_id: UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> NotificationPage:
    if status is not None and status not in DELIVERY_STATUSES:
        raise field_error("status", f"one of: {', '.join(DELIVERY_STATUSES)}")
    return await client.ask_as(
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


async def notification(client: RpcClient, user: User, notification_id: UUID) -> NotificationView:
    return await client.ask_as(
        GetNotification(principal=user.principal, notification_id=notification_id),
        NotificationView,
    )


async def retry(client: RpcClient, user: User, notification_id: UUID) -> NotificationView:
    return await client.ask_as(
        RetryNotification(principal=user.principal, notification_id=notification_id),
        NotificationView,
    )
