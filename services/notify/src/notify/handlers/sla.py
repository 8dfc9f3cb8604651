"""What the SLA clocks tell people: reminders, escalations and breaches."""

from __future__ import annotations

import asyncpg
from desk_contracts.enums import Status
from desk_contracts.messages import SlaBreached, SlaEscalated, SlaReminderDue
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import UnitOfWork

from .. import deliveries, recipients, store

handlers = Handlers()
log = get_logger(__name__)


def settled(incident: asyncpg.Record, kind: str) -> bool:
    """A reminder or an escalation that fired just before the incident was resolved
    (sla learns of it a moment later): nobody needs chasing any more."""
    if Status(incident["status"]).is_open:
        return False
    log.info("notification_moot", event_kind=kind, status=incident["status"])
    return True


async def unassigned_watchers(
    conn: asyncpg.Connection, incident: asyncpg.Record
) -> list[recipients.Recipient]:
    """Who hears of an unassigned incident's clock: none when it has an assignee."""
    if incident["assignee_id"] is not None:
        return []
    path = tuple(incident["category_path"])
    return recipients.unassigned_watchers(
        recipients.escalation_contact(path, await store.escalation_contacts(conn, path)),
        await store.active_users_with_role(conn, "head"),
        await store.active_users_with_role(conn, "admin"),
    )


@handlers.handles(SlaReminderDue)
async def on_reminder(event: SlaReminderDue, uow: UnitOfWork) -> None:
    """Reminds the assignee and the organization's account manager of a due time."""
    incident = await store.known_incident(uow.conn, event.incident_id)
    if settled(incident, "reminder"):
        return
    manager = await store.account_manager_of(uow.conn, incident["organization_id"])
    await deliveries.queue(
        uow,
        "reminder",
        incident,
        recipients.with_unassigned_watchers(
            recipients.on_reminder(incident["assignee_id"], manager),
            incident["assignee_id"],
            await unassigned_watchers(uow.conn, incident),
        ),
        {"clock": event.clock, "due_at": event.due_at},
    )


@handlers.handles(SlaEscalated)
async def on_escalated(event: SlaEscalated, uow: UnitOfWork) -> None:
    """Tells the group head, department head or escalation contact the ladder names."""
    incident = await store.known_incident(uow.conn, event.incident_id)
    if settled(incident, "escalation"):
        return
    path = tuple(incident["category_path"])
    people = recipients.on_escalation(
        event.notify,
        await store.group_head_of(uow.conn, incident["assignee_id"]),
        recipients.escalation_contact(path, await store.escalation_contacts(uow.conn, path)),
    )
    people = recipients.with_unassigned_watchers(
        people, incident["assignee_id"], await unassigned_watchers(uow.conn, incident)
    )
    await deliveries.queue(uow, "escalation", incident, people, {"level": event.level})


@handlers.handles(SlaBreached)
async def on_breached(event: SlaBreached, uow: UnitOfWork) -> None:
    """Tells the assignee and the group head a due time was missed (with nobody
    assigned: the escalation contact, else the heads, else the admins)."""
    incident = await store.known_incident(uow.conn, event.incident_id)
    people = recipients.with_unassigned_watchers(
        recipients.on_breach(
            incident["assignee_id"], await store.group_head_of(uow.conn, incident["assignee_id"])
        ),
        incident["assignee_id"],
        await unassigned_watchers(uow.conn, incident),
    )
    await deliveries.queue(
        uow, "breach", incident, people, {"clock": event.clock, "due_at": event.due_at}
    )
