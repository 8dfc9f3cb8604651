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
        recipients.on_reminder(incident["assignee_id"], manager),
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
    await deliveries.queue(uow, "escalation", incident, people, {"level": event.level})


@handlers.handles(SlaBreached)
async def on_breached(event: SlaBreached, uow: UnitOfWork) -> None:
    """Tells the assignee and the group head a due time was missed."""
    incident = await store.known_incident(uow.conn, event.incident_id)
    people = recipients.on_breach(
        incident["assignee_id"], await store.group_head_of(uow.conn, incident["assignee_id"])
    )
    await deliveries.queue(
        uow, "breach", incident, people, {"clock": event.clock, "due_at": event.due_at}
    )
