"""A user's own notification preferences: read and changed over request/reply."""

from __future__ import annotations

from desk_contracts import ErrorItem
from desk_contracts.messages import (
    GetNotificationPreferences,
    NotificationPreference,
    NotificationPreferences,
    Principal,
    SetNotificationPreferences,
)
from desk_runtime.errors import Invalid
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from .. import preferences, store

handlers = Handlers()


async def preferences_of(db: store.Db, principal: Principal) -> NotificationPreferences:
    choices = await store.choices_of(db, principal.user_id)
    return NotificationPreferences(
        user_id=principal.user_id,
        preferences=tuple(
            NotificationPreference(
                event_kind=p.kind, channel=p.channel, enabled=p.enabled, chosen=p.chosen
            )
            for p in preferences.effective(principal.role, choices)
        ),
    )


@handlers.answers(GetNotificationPreferences)
async def get_preferences(
    request: GetNotificationPreferences, service: Service
) -> NotificationPreferences:
    """The principal's notification preferences: choices and role defaults."""
    return await preferences_of(service.pool, request.principal)


@handlers.answers(SetNotificationPreferences)
async def set_preferences(
    request: SetNotificationPreferences, service: Service
) -> NotificationPreferences:
    """Stores the principal's choices for the (kind, channel) pairs it lists."""
    principal = request.principal
    problems = preferences.invalid_choices(
        principal.role, (item.event_kind for item in request.preferences)
    )
    if problems:
        raise Invalid(
            "invalid preferences",
            errors=[
                ErrorItem(field=f"preferences.{index}.event_kind", message=message)
                for index, message in problems
            ],
        )
    async with service.pool.acquire() as conn, conn.transaction():
        await store.save_choices(
            conn,
            principal.user_id,
            [(item.event_kind, item.channel, item.enabled) for item in request.preferences],
        )
        return await preferences_of(conn, principal)
