"""Notify handlers: who hears of what, queued once per (event, recipient, channel)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

from desk_contracts.enums import Locale
from desk_contracts.messages import IncidentAssigned, IncidentRegistered, UserUpserted
from desk_runtime.service import Service, UnitOfWork

from .sender import run_sender
from .templates import Templates

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def queue_email(
    uow: UnitOfWork,
    templates: Templates,
    *,
    kind: str,
    recipient_id: UUID,
    incident: dict[str, object],
) -> bool:
    """Render and queue one e-mail; False when the recipient has no address."""
    contact = await uow.conn.fetchrow("SELECT * FROM contacts WHERE user_id = $1", recipient_id)
    if contact is None:
        # The user's own event may still be on its way: let the broker redeliver.
        raise LookupError(f"no contact point for user {recipient_id} yet")
    if not contact["email"] or not contact["active"]:
        return False
    locale = Locale(contact["locale"])
    link = f"{uow.service.settings.portal_url}/incidents/{incident['incident_id']}"
    rendered = templates.render(
        kind, locale, {**incident, "recipient_name": contact["display_name"], "link": link}
    )
    assert uow.envelope is not None
    await uow.conn.execute(
        """
        INSERT INTO deliveries (id, event_id, event_kind, incident_id, recipient_id, channel,
            address, locale, subject, body_text, body_html)
        VALUES ($1, $2, $3, $4, $5, 'email', $6, $7, $8, $9, $10)
        ON CONFLICT (event_id, recipient_id, channel) DO NOTHING
        """,
        uuid4(),
        uow.envelope.message_id,
        kind,
        incident["incident_id"],
        recipient_id,
        contact["email"],
        locale.value,
        rendered.subject,
        rendered.text,
        rendered.html,
    )
    return True


def register(service: Service) -> None:
    templates = Templates()

    @service.handles(UserUpserted)
    async def on_user(event: UserUpserted, uow: UnitOfWork) -> None:
        """Keeps the contact point (e-mail, phone, locale) of every user."""
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

    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Confirms the registration to the requester, with the incident's number."""
        await uow.conn.execute(
            "INSERT INTO incidents (incident_id, number, title, requester_id, organization_id) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO NOTHING",
            event.incident_id,
            event.number,
            event.title,
            event.requester_id,
            event.organization_id,
        )
        await queue_email(
            uow,
            templates,
            kind="incident_registered",
            recipient_id=event.requester_id,
            incident={
                "incident_id": event.incident_id,
                "number": event.number,
                "title": event.title,
            },
        )

    @service.handles(IncidentAssigned)
    async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
        """Tells the agent an incident is now theirs."""
        incident = await uow.conn.fetchrow(
            "SELECT incident_id, number, title FROM incidents WHERE incident_id = $1",
            event.incident_id,
        )
        if incident is None:
            raise LookupError(f"incident {event.incident_id} not known yet")
        await queue_email(
            uow,
            templates,
            kind="incident_assigned",
            recipient_id=event.agent_id,
            incident=dict(incident),
        )

    service.background(run_sender)
