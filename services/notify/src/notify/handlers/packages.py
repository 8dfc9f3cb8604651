"""What packages and satisfaction tell staff (SPEC §12): a complaint registered (the
account manager and the head who answers for it), a rating of 1–2 (the group head), a
quota whose policy is `warn` used up (the account manager; sla announces it once per
contract month, organization and channel, and each announcement is mailed once)."""

from __future__ import annotations

from desk_contracts.messages import IncidentRated, IncidentRegistered, QuotaUsedUp
from desk_runtime.handlers import Handlers
from desk_runtime.local_time import UTC_ZONE, local_time
from desk_runtime.service import UnitOfWork

from .. import deliveries, recipients, store

handlers = Handlers()


@handlers.handles(IncidentRegistered)
async def on_complaint(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """Runs after the registration's own handler has kept the incident."""
    if not recipients.is_complaint(event.category_path):
        return
    conn = uow.conn
    path = tuple(event.category_path)
    people = recipients.on_complaint(
        await store.account_manager_of(conn, event.organization_id),
        recipients.escalation_contact(path, await store.escalation_contacts(conn, path)),
        await store.active_users_with_role(conn, "head"),
    )
    incident = await store.known_incident(conn, event.incident_id)
    await deliveries.queue(
        uow,
        "complaint",
        incident,
        people,
        {"organization": await store.organization_name(conn, event.organization_id)},
    )


@handlers.handles(IncidentRated)
async def on_rated(event: IncidentRated, uow: UnitOfWork) -> None:
    if not recipients.is_low_rating(event.score):
        return
    conn = uow.conn
    incident = await store.known_incident(conn, event.incident_id)
    assignee = event.assignee_id or incident["assignee_id"]
    people = recipients.on_low_rating(
        await store.group_head_of(conn, assignee),
        await store.active_users_with_role(conn, "head"),
    )
    await deliveries.queue(
        uow,
        "low_rating",
        incident,
        people,
        {
            "score": event.score,
            "comment": event.comment,
            "organization": await store.organization_name(conn, event.organization_id),
        },
    )


@handlers.handles(QuotaUsedUp)
async def on_quota_used_up(event: QuotaUsedUp, uow: UnitOfWork) -> None:
    conn = uow.conn
    incident = await store.known_incident(conn, event.incident_id)
    people = recipients.on_quota_used_up(
        await store.account_manager_of(conn, event.organization_id),
        await store.active_users_with_role(conn, "admin"),
    )
    await deliveries.queue(
        uow,
        "quota_used_up",
        incident,
        people,
        {
            "organization": await store.organization_name(conn, event.organization_id),
            "channel": event.channel.value,
            "category_path": "/".join(event.category_path),
            "per_month": event.per_month,
            "used": event.used,
            "renews_on": (
                event.renews_on.isoformat()
                if event.renews_on
                else local_time(event.renews_at, UTC_ZONE)
            ),
            "contract_name": event.contract_name,
        },
    )
