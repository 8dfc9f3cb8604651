"""Notify handlers: keep the facts needed to address people, and queue one delivery per
(event, recipient, channel) — the unique key is written in the event's own transaction,
before anything is sent, so a redelivered event or a restart never sends twice.

An event about an incident notify has not seen registered, or addressed to a user whose
contact point has not arrived, waits parked for that fact (`NotYet`) and is handled in
the transaction that records it (`uow.arrived`): never dropped, whatever the order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import Locale, Role, Status, Visibility
from desk_contracts.messages import (
    AgentProfileChanged,
    CategoryUpserted,
    DeadlinesSet,
    EntryAdded,
    IncidentAssigned,
    IncidentReclassified,
    IncidentRegistered,
    IncidentStatusChanged,
    OrganizationUpserted,
    SlaBreached,
    SlaEscalated,
    SlaReminderDue,
    UserUpserted,
)
from desk_runtime.errors import NotYet
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from . import preferences, recipients
from .queries import register_queries
from .recipients import Recipient
from .sender import run_sender
from .sms import sms_enabled
from .templates import Templates

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

log = get_logger(__name__)

# The facts events wait for: an incident's registration, a user's contact point.
INCIDENT = "incident"
CONTACT = "contact"


class Notifier:
    """Turns (event kind, incident, recipients) into queued deliveries."""

    def __init__(self, service: Service) -> None:
        self.settings = service.settings
        self.templates = Templates(service.settings.template_dir)

    def links(self, incident_id: UUID) -> dict[str, str]:
        base = f"{self.settings.portal_url.rstrip('/')}/incidents/{incident_id}"
        return {"link": base, "rating_link": f"{base}#rating"}

    async def queue(
        self,
        uow: UnitOfWork,
        kind: str,
        incident: asyncpg.Record,
        people: list[Recipient],
        values: dict[str, Any] | None = None,
    ) -> int:
        """Queue this event's deliveries; returns how many were new."""
        assert uow.envelope is not None
        queued = 0
        for person in people:
            # The contact point and its choices for this kind of event in one round trip.
            contact = await uow.conn.fetchrow(
                """
                SELECT c.*,
                    array(SELECT p.channel FROM notification_preferences p
                          WHERE p.user_id = c.user_id AND p.event_kind = $2
                          ORDER BY p.channel) AS chosen_channels,
                    array(SELECT p.enabled FROM notification_preferences p
                          WHERE p.user_id = c.user_id AND p.event_kind = $2
                          ORDER BY p.channel) AS chosen_enabled
                FROM contacts c WHERE c.user_id = $1
                """,
                person.user_id,
                kind,
            )
            if contact is None:
                # The user's own event is still on its way: this one waits for it.
                raise NotYet(CONTACT, person.user_id, f"no contact point for {person.user_id} yet")
            if not contact["active"]:
                continue
            choices = {
                (kind, channel): enabled
                for channel, enabled in zip(
                    contact["chosen_channels"], contact["chosen_enabled"], strict=True
                )
            }
            locale = Locale(contact["locale"])
            context = {
                "incident_id": incident["incident_id"],
                "number": incident["number"],
                "title": incident["title"],
                "priority": incident["priority"],
                "response_due": incident["response_due"],
                "resolution_due": incident["resolution_due"],
                "recipient_name": contact["display_name"],
                **self.links(incident["incident_id"]),
                **(values or {}),
            }
            for channel in preferences.channels_for(Role(contact["role"]), kind, choices):
                if channel == "sms":
                    address = contact["phone"] if sms_enabled(self.settings) else None
                else:
                    address = contact["email"]
                if not address:
                    continue
                if channel == "sms":
                    subject, text = "", self.templates.sms(kind, locale, context)
                    html = None
                else:
                    mail = self.templates.email(kind, locale, context)
                    subject, text, html = mail.subject, mail.text, mail.html
                inserted = await uow.conn.fetchval(
                    """
                    INSERT INTO deliveries (id, event_id, event_kind, incident_id, recipient_id,
                        channel, address, locale, subject, body_text, body_html, reason)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    ON CONFLICT (event_id, recipient_id, channel) DO NOTHING RETURNING true
                    """,
                    uuid4(),
                    uow.envelope.message_id,
                    kind,
                    incident["incident_id"],
                    person.user_id,
                    channel,
                    address,
                    locale.value,
                    subject,
                    text,
                    html,
                    person.reason,
                )
                queued += bool(inserted)
        log.info("notifications_queued", event_kind=kind, deliveries=queued)
        return queued


async def known_incident(uow: UnitOfWork, incident_id: UUID) -> asyncpg.Record:
    row: asyncpg.Record | None = await uow.conn.fetchrow(
        "SELECT * FROM incidents WHERE incident_id = $1", incident_id
    )
    if row is None:
        # Its registration travels on another queue and may come later.
        raise NotYet(INCIDENT, incident_id)
    return row


async def overtaken(uow: UnitOfWork, incident_id: UUID, column: str, at: datetime) -> None:
    """After an update applied only if nothing later was (`column` <= `at`) found no
    row: returns if a later change is applied indeed (this one is moot). Raises NotYet if
    the incident is not registered — also when its registration committed just after the
    update looked, so the change is applied when tried again, never taken for overtaken."""
    later = await uow.conn.fetchval(
        f"SELECT {column} > $2 FROM incidents WHERE incident_id = $1", incident_id, at
    )
    if not later:
        raise NotYet(INCIDENT, incident_id)


def settled(incident: asyncpg.Record, kind: str) -> bool:
    """A reminder or an escalation that fired just before the incident was resolved
    (sla learns of it a moment later): nobody needs chasing any more."""
    if Status(incident["status"]).is_open:
        return False
    log.info("notification_moot", event_kind=kind, status=incident["status"])
    return True


async def change_incident(
    uow: UnitOfWork, incident_id: UUID, changes: str, *values: Any
) -> asyncpg.Record:
    """Apply `changes` (a SET list over $2, $3…) to a known incident and return the row as
    it now is, in one round trip."""
    row: asyncpg.Record | None = await uow.conn.fetchrow(
        f"UPDATE incidents SET {changes} WHERE incident_id = $1 RETURNING *", incident_id, *values
    )
    if row is None:
        # Its registration travels on another queue and may come later.
        raise NotYet(INCIDENT, incident_id)
    return row


async def group_head_of(uow: UnitOfWork, agent_id: UUID | None) -> UUID | None:
    if agent_id is None:
        return None
    head: UUID | None = await uow.conn.fetchval(
        "SELECT group_head_id FROM agents WHERE agent_id = $1", agent_id
    )
    return head


async def escalation_contact_of(uow: UnitOfWork, incident: asyncpg.Record) -> UUID | None:
    path = tuple(incident["category_path"])
    rows = await uow.conn.fetch(
        "SELECT path, escalation_contact_id FROM categories "
        "WHERE escalation_contact_id IS NOT NULL AND path <@ $1::text[]",
        list(path),
    )
    return recipients.escalation_contact(
        path, ((tuple(row["path"]), row["escalation_contact_id"]) for row in rows)
    )


def is_reply(event: EntryAdded) -> bool:
    """Whether the entry may notify anyone: public words or files."""
    return event.visibility is Visibility.PUBLIC and event.kind in recipients.REPLY_KINDS


def register(service: Service) -> None:
    notifier = Notifier(service)

    # --- facts ------------------------------------------------------------------------

    @service.handles(UserUpserted)
    async def on_user(event: UserUpserted, uow: UnitOfWork) -> None:
        """Keeps the contact point (e-mail, phone, locale) of every user; what waited
        for it is sent now."""
        await uow.conn.execute(
            """
            INSERT INTO contacts (user_id, username, display_name, email, phone, locale, role,
                organization_id, active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (user_id) DO UPDATE SET username = EXCLUDED.username,
                display_name = EXCLUDED.display_name, email = EXCLUDED.email,
                phone = EXCLUDED.phone, locale = EXCLUDED.locale, role = EXCLUDED.role,
                organization_id = EXCLUDED.organization_id, active = EXCLUDED.active,
                updated_at = now()
            """,
            event.user_id,
            event.username,
            event.display_name,
            event.email,
            event.phone,
            event.locale.value,
            event.role.value,
            event.organization_id,
            event.active,
        )
        uow.arrived(CONTACT, event.user_id)

    @service.handles(OrganizationUpserted)
    async def on_organization(event: OrganizationUpserted, uow: UnitOfWork) -> None:
        """Keeps each organization's account manager, who hears of its reminders."""
        await uow.conn.execute(
            """
            INSERT INTO organizations (organization_id, name, account_manager_id)
            VALUES ($1, $2, $3)
            ON CONFLICT (organization_id) DO UPDATE SET name = EXCLUDED.name,
                account_manager_id = EXCLUDED.account_manager_id, updated_at = now()
            """,
            event.organization_id,
            event.name,
            event.account_manager_id,
        )

    @service.handles(CategoryUpserted)
    async def on_category(event: CategoryUpserted, uow: UnitOfWork) -> None:
        """Keeps the category tree's escalation contacts."""
        await uow.conn.execute(
            """
            INSERT INTO categories (category_id, path, name, escalation_contact_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (category_id) DO UPDATE SET path = EXCLUDED.path,
                name = EXCLUDED.name, escalation_contact_id = EXCLUDED.escalation_contact_id,
                updated_at = now()
            """,
            event.category_id,
            list(event.path),
            event.name,
            event.escalation_contact_id,
        )

    @service.handles(AgentProfileChanged)
    async def on_agent(event: AgentProfileChanged, uow: UnitOfWork) -> None:
        """Keeps each agent's group head, who hears of escalations and breaches."""
        await uow.conn.execute(
            """
            INSERT INTO agents (agent_id, group_head_id) VALUES ($1, $2)
            ON CONFLICT (agent_id) DO UPDATE SET group_head_id = EXCLUDED.group_head_id,
                updated_at = now()
            """,
            event.agent_id,
            event.group_head_id,
        )

    @service.handles(DeadlinesSet)
    async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
        """Keeps the due times that the messages quote, the latest computation's (two
        announcements may arrive swapped)."""
        applied = await uow.conn.fetchval(
            "UPDATE incidents SET response_due = $2, resolution_due = $3, "
            "deadlines_computed_at = $4 WHERE incident_id = $1 "
            "AND (deadlines_computed_at IS NULL OR deadlines_computed_at <= $4) "
            "RETURNING true",
            event.incident_id,
            event.response_due,
            event.resolution_due,
            event.computed_at,
        )
        if not applied:
            await overtaken(uow, event.incident_id, "deadlines_computed_at", event.computed_at)

    @service.handles(IncidentReclassified)
    async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
        """Keeps category and priority, which choose the escalation contact."""
        await change_incident(
            uow,
            event.incident_id,
            "category_id = $2, category_path = $3, priority = $4",
            event.category_id,
            list(event.category_path),
            event.priority.value,
        )

    # --- events that notify -----------------------------------------------------------

    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Confirms the registration to the requester, with the incident's number; the
        events about it that came first are handled now."""
        await uow.conn.execute(
            """
            INSERT INTO incidents (incident_id, number, title, requester_id, organization_id,
                category_id, category_path, priority)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id) DO NOTHING
            """,
            event.incident_id,
            event.number,
            event.title,
            event.requester_id,
            event.organization_id,
            event.category_id,
            list(event.category_path),
            event.priority.value,
        )
        uow.arrived(INCIDENT, event.incident_id)
        incident = await known_incident(uow, event.incident_id)
        await notifier.queue(
            uow, "incident_registered", incident, recipients.on_registered(event.requester_id)
        )

    @service.handles(IncidentAssigned)
    async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
        """Tells the agent an incident is now theirs (a new one is now `assigned`:
        intake announces no separate status change for that)."""
        incident = await change_incident(
            uow,
            event.incident_id,
            "assignee_id = $2, status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END",
            event.agent_id,
        )
        await notifier.queue(
            uow, "incident_assigned", incident, recipients.on_assigned(event.agent_id)
        )

    @service.handles(IncidentStatusChanged)
    async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
        """Tells the requester when we wait on them and when the incident is resolved."""
        kind = recipients.status_kind(event.status)
        # Applied only if no later change has been (changes may arrive out of order); one
        # overtaken by a later change tells no one either.
        incident = await uow.conn.fetchrow(
            "UPDATE incidents SET status = $2, status_changed_at = $3 WHERE incident_id = $1 "
            "AND (status_changed_at IS NULL OR status_changed_at <= $3) RETURNING *",
            event.incident_id,
            event.status.value,
            event.changed_at,
        )
        if incident is None:
            await overtaken(uow, event.incident_id, "status_changed_at", event.changed_at)
            log.info("status_change_superseded", status=event.status.value)
            return
        if kind is None:
            return
        await notifier.queue(
            uow, kind, incident, recipients.on_status(event.status, event.requester_id)
        )

    @service.handles(EntryAdded)
    async def on_entry(event: EntryAdded, uow: UnitOfWork) -> None:
        """A public reply is sent to the other side; internal entries never leave."""
        author = None
        if event.author_id is not None:
            author = await uow.conn.fetchrow(
                "SELECT display_name, role FROM contacts WHERE user_id = $1", event.author_id
            )
            if author is None and is_reply(event):
                # A reply names its author (and their side): wait for their contact point.
                raise NotYet(CONTACT, event.author_id, f"author {event.author_id} not known yet")
        author_name = author["display_name"] if author else ""
        author_is_staff: bool | None = None
        if event.author_role is not None:
            author_is_staff = event.author_role.is_staff
        elif author is not None:
            author_is_staff = Role(author["role"]).is_staff
        people = recipients.on_entry(
            visibility=event.visibility,
            kind=event.kind,
            author_id=event.author_id,
            author_is_staff=author_is_staff,
            requester_id=event.requester_id,
            assignee_id=event.assignee_id,
        )
        if not people:
            return
        incident = await known_incident(uow, event.incident_id)
        await notifier.queue(
            uow,
            "public_reply",
            incident,
            people,
            {"entry_text": event.text, "author_name": author_name or "Service Desk"},
        )

    @service.handles(SlaReminderDue)
    async def on_reminder(event: SlaReminderDue, uow: UnitOfWork) -> None:
        """Reminds the assignee and the organization's account manager of a due time."""
        incident = await known_incident(uow, event.incident_id)
        if settled(incident, "reminder"):
            return
        manager = await uow.conn.fetchval(
            "SELECT account_manager_id FROM organizations WHERE organization_id = $1",
            incident["organization_id"],
        )
        await notifier.queue(
            uow,
            "reminder",
            incident,
            recipients.on_reminder(incident["assignee_id"], manager),
            {"clock": event.clock, "due_at": event.due_at},
        )

    @service.handles(SlaEscalated)
    async def on_escalated(event: SlaEscalated, uow: UnitOfWork) -> None:
        """Tells the group head, department head or escalation contact the ladder names."""
        incident = await known_incident(uow, event.incident_id)
        if settled(incident, "escalation"):
            return
        people = recipients.on_escalation(
            event.notify,
            await group_head_of(uow, incident["assignee_id"]),
            await escalation_contact_of(uow, incident),
        )
        await notifier.queue(uow, "escalation", incident, people, {"level": event.level})

    @service.handles(SlaBreached)
    async def on_breached(event: SlaBreached, uow: UnitOfWork) -> None:
        """Tells the assignee and the group head a due time was missed."""
        incident = await known_incident(uow, event.incident_id)
        people = recipients.on_breach(
            incident["assignee_id"], await group_head_of(uow, incident["assignee_id"])
        )
        await notifier.queue(
            uow, "breach", incident, people, {"clock": event.clock, "due_at": event.due_at}
        )

    register_queries(service)
    service.background(run_sender)
