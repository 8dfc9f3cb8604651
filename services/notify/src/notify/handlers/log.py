"""The delivery log for staff (every attempt with the server's or provider's answer),
and an admin's replay of a dead-lettered delivery."""

from __future__ import annotations

from typing import Any

import asyncpg
from desk_contracts.enums import Locale, Role
from desk_contracts.messages import (
    FindMailThread,
    GetNotification,
    ListNotifications,
    MailThread,
    NotificationAttempt,
    NotificationPage,
    NotificationView,
    Principal,
    RetryNotification,
)
from desk_runtime.errors import Conflict, Forbidden, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from .. import store
from .accounts import SECRET_KINDS

handlers = Handlers()


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
    found = await store.delivery(pool, notification_id)
    if found is None:
        raise NotFound("notification not found")
    row, attempts = found
    return _view(
        row,
        body_text=None if row["event_kind"] in SECRET_KINDS else row["body_text"],
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


@handlers.answers(ListNotifications)
async def list_notifications(request: ListNotifications, service: Service) -> NotificationPage:
    """The delivery log, newest first, filtered by incident, recipient and status."""
    _staff_only(request.principal)
    rows, total = await store.deliveries_page(
        service.pool,
        request.incident_id,
        request.recipient_id,
        request.status,
        request.limit,
        request.offset,
    )
    return NotificationPage(total=total, items=tuple(_view(row) for row in rows))


@handlers.answers(GetNotification)
async def get_notification(request: GetNotification, service: Service) -> NotificationView:
    """One delivery with its text and every attempt with the provider's answer."""
    _staff_only(request.principal)
    return await notification(service.pool, request.notification_id)


@handlers.answers(RetryNotification)
async def retry_notification(request: RetryNotification, service: Service) -> NotificationView:
    """Replays a dead-lettered delivery: it gets a fresh set of attempts."""
    _staff_only(request.principal)
    if request.principal.role is not Role.ADMIN:
        raise Forbidden("only admins replay dead letters")
    async with service.pool.acquire() as conn, conn.transaction():
        status = await store.lock_status(conn, request.notification_id)
        if status is None:
            raise NotFound("notification not found")
        if status != "failed":
            raise Conflict(f"only a failed notification can be sent again (it is {status})")
        await store.replay(conn, request.notification_id, request.principal.user_id)
    return await notification(service.pool, request.notification_id)


@handlers.answers(FindMailThread)
async def find_mail_thread(request: FindMailThread, service: Service) -> MailThread:
    """The incident an e-mail of ours was about (the gateway threads a reply by it)."""
    return MailThread(incident_id=await store.mail_incident(service.pool, request.delivery_id))
