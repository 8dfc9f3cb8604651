"""Answers to the gateway: a user's own preferences, and the delivery log for staff."""

from __future__ import annotations

from typing import Any

import asyncpg
from desk_contracts import ErrorItem
from desk_contracts.enums import Locale, Role
from desk_contracts.messages import (
    GetNotification,
    GetNotificationPreferences,
    ListNotifications,
    NotificationAttempt,
    NotificationPage,
    NotificationPreference,
    NotificationPreferences,
    NotificationView,
    Principal,
    RetryNotification,
    SetNotificationPreferences,
)
from desk_runtime.errors import Conflict, Forbidden, Invalid, NotFound
from desk_runtime.service import Service

from . import preferences

VIEW_COLUMNS = """
    id, event_id, event_kind, incident_id, recipient_id, channel, address, locale, subject,
    status, attempts, last_error, created_at, next_attempt_at, sent_at, failed_at
"""


async def preferences_of(
    conn: asyncpg.Connection | asyncpg.Pool, principal: Principal
) -> NotificationPreferences:
    rows = await conn.fetch(
        "SELECT event_kind, channel, enabled FROM notification_preferences WHERE user_id = $1",
        principal.user_id,
    )
    choices = {(row["event_kind"], row["channel"]): row["enabled"] for row in rows}
    return NotificationPreferences(
        user_id=principal.user_id,
        preferences=tuple(
            NotificationPreference(
                event_kind=p.kind, channel=p.channel, enabled=p.enabled, chosen=p.chosen
            )
            for p in preferences.effective(principal.role, choices)
        ),
    )


def _view(row: asyncpg.Record, **extra: Any) -> NotificationView:
    return NotificationView(
        notification_id=row["id"],
        event_id=row["event_id"],
        event_kind=row["event_kind"],
        incident_id=row["incident_id"],
        recipient_id=row["recipient_id"],
        channel=row["channel"],
        address=row["address"],
        locale=Locale(row["locale"]),
        subject=row["subject"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"] if row["status"] in ("pending", "sending") else None,
        sent_at=row["sent_at"],
        failed_at=row["failed_at"],
        **extra,
    )


def _staff_only(principal: Principal) -> None:
    if not principal.role.is_staff:
        raise Forbidden("the delivery log is for staff")


async def notification(pool: asyncpg.Pool, notification_id: Any) -> NotificationView:
    row = await pool.fetchrow(
        f"SELECT {VIEW_COLUMNS}, body_text FROM deliveries WHERE id = $1", notification_id
    )
    if row is None:
        raise NotFound("notification not found")
    attempts = await pool.fetch(
        "SELECT attempt, attempted_at, outcome, answer FROM delivery_attempts "
        "WHERE delivery_id = $1 ORDER BY id",
        notification_id,
    )
    return _view(
        row,
        body_text=row["body_text"],
        log=tuple(
            NotificationAttempt(
                attempt=a["attempt"],
                attempted_at=a["attempted_at"],
                outcome=a["outcome"],
                answer=a["answer"],
            )
            for a in attempts
        ),
    )


def register_queries(service: Service) -> None:
    @service.answers(GetNotificationPreferences)
    async def get_preferences(
        query: GetNotificationPreferences, service: Service
    ) -> NotificationPreferences:
        """The principal's notification preferences: choices and role defaults."""
        return await preferences_of(service.pool, query.principal)

    @service.answers(SetNotificationPreferences)
    async def set_preferences(
        query: SetNotificationPreferences, service: Service
    ) -> NotificationPreferences:
        """Stores the principal's choices for the (kind, channel) pairs it lists."""
        principal = query.principal
        problems = preferences.invalid_choices(
            principal.role, (item.event_kind for item in query.preferences)
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
            await conn.executemany(
                """
                INSERT INTO notification_preferences (user_id, event_kind, channel, enabled)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (user_id, event_kind, channel) DO UPDATE
                SET enabled = EXCLUDED.enabled, updated_at = now()
                """,
                [
                    (principal.user_id, item.event_kind, item.channel, item.enabled)
                    for item in query.preferences
                ],
            )
            return await preferences_of(conn, principal)

    @service.answers(ListNotifications)
    async def list_notifications(query: ListNotifications, service: Service) -> NotificationPage:
        """The delivery log, newest first, filtered by incident, recipient and status."""
        _staff_only(query.principal)
        where = (
            "($1::uuid IS NULL OR incident_id = $1) AND ($2::uuid IS NULL OR recipient_id = $2)"
            " AND ($3::text IS NULL OR status = $3)"
        )
        params = (query.incident_id, query.recipient_id, query.status)
        total = await service.pool.fetchval(
            f"SELECT count(*) FROM deliveries WHERE {where}", *params
        )
        rows = await service.pool.fetch(
            f"SELECT {VIEW_COLUMNS} FROM deliveries WHERE {where} "
            "ORDER BY created_at DESC, id LIMIT $4 OFFSET $5",
            *params,
            query.limit,
            query.offset,
        )
        return NotificationPage(total=total, items=tuple(_view(row) for row in rows))

    @service.answers(GetNotification)
    async def get_notification(query: GetNotification, service: Service) -> NotificationView:
        """One delivery with its text and every attempt with the provider's answer."""
        _staff_only(query.principal)
        return await notification(service.pool, query.notification_id)

    @service.answers(RetryNotification)
    async def retry_notification(query: RetryNotification, service: Service) -> NotificationView:
        """Replays a dead-lettered delivery: it gets a fresh set of attempts."""
        _staff_only(query.principal)
        if query.principal.role is not Role.ADMIN:
            raise Forbidden("only admins replay dead letters")
        async with service.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM deliveries WHERE id = $1 FOR UPDATE", query.notification_id
            )
            if status is None:
                raise NotFound("notification not found")
            if status != "failed":
                raise Conflict(f"only a failed notification can be sent again (it is {status})")
            await conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, failed_at = NULL, "
                "next_attempt_at = now() WHERE id = $1",
                query.notification_id,
            )
            await conn.execute(
                "UPDATE dead_letters SET replayed_at = now(), replayed_by = $2 "
                "WHERE delivery_id = $1 AND replayed_at IS NULL",
                query.notification_id,
                query.principal.user_id,
            )
            await conn.execute("SELECT pg_notify('deliveries', '')")
        return await notification(service.pool, query.notification_id)
