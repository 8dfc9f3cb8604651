"""Exactly-once e-mail and SMS, the queuing half: one delivery per (event, recipient,
channel), its unique key written in the event's own transaction (with its inbox row),
before anything is sent, so a redelivered event or a restart never queues twice. The
sending half (claims, leases, one `Message-ID` per delivery) is `sender.py`."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import asyncpg
from desk_contracts.enums import Locale, Role
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork
from desk_runtime.settings import DeskSettings

from . import preferences, store
from .recipients import Recipient
from .sms import sms_enabled
from .templates import Templates

log = get_logger(__name__)


class Notifier:
    """What queuing needs of the service: its settings, the templates, the links."""

    def __init__(self, settings: DeskSettings) -> None:
        self.settings = settings
        self.templates = Templates(settings.notify.template_dir)

    def equipment_link(self, equipment_id: UUID) -> str:
        return f"{self.settings.portal_url.rstrip('/')}/equipment/{equipment_id}"

    def password_reset_link(self, token: str) -> str:
        return f"{self.settings.portal_url.rstrip('/')}/password-reset/{token}"

    def links(self, incident_id: UUID) -> dict[str, str]:
        base = f"{self.settings.portal_url.rstrip('/')}/incidents/{incident_id}"
        return {"link": base, "rating_link": f"{base}#rating"}


_notifiers: WeakKeyDictionary[Service, Notifier] = WeakKeyDictionary()


def use(service: Service, notifier: Notifier) -> None:
    """The composition root gives each service the notifier its handlers queue with."""
    _notifiers[service] = notifier


def notifier_of(service: Service) -> Notifier:
    return _notifiers[service]


async def queue(
    uow: UnitOfWork,
    kind: str,
    incident: asyncpg.Record,
    people: list[Recipient],
    values: dict[str, Any] | None = None,
) -> int:
    """Queue the deliveries of the event being handled, with its service's notifier;
    returns how many were new."""
    assert uow.envelope is not None
    notifier = _notifiers[uow.service]
    queued = 0
    for person in people:
        contact = await store.contact_for(uow.conn, person.user_id, kind)
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
            **notifier.links(incident["incident_id"]),
            **(values or {}),
        }
        for channel in preferences.channels_for(Role(contact["role"]), kind, choices):
            if channel == "sms":
                address = contact["phone"] if sms_enabled(notifier.settings) else None
            else:
                address = contact["email"]
            if not address:
                continue
            if channel == "sms":
                subject, text = "", notifier.templates.sms(kind, locale, context)
                html = None
            else:
                mail = notifier.templates.email(kind, locale, context)
                subject, text, html = mail.subject, mail.text, mail.html
            queued += await store.queue_delivery(
                uow.conn,
                event_id=uow.envelope.message_id,
                kind=kind,
                incident_id=incident["incident_id"],
                recipient_id=person.user_id,
                channel=channel,
                address=address,
                locale=locale.value,
                subject=subject,
                text=text,
                html=html,
                reason=person.reason,
            )
    log.info("notifications_queued", event_kind=kind, deliveries=queued)
    return queued


async def queue_equipment_notice(
    uow: UnitOfWork, kind: str, people: list[Recipient], values: dict[str, Any]
) -> int:
    """Queue an equipment notice's e-mails (about a device, not an incident: no
    preferences apply, and no text message), each in its recipient's language;
    returns how many were new."""
    notifier = _notifiers[uow.service]
    link = notifier.equipment_link(values["equipment_id"])
    queued = 0
    for person in people:
        queued += await queue_plain_mail(uow, kind, person, {**values, "link": link})
    log.info("notifications_queued", event_kind=kind, deliveries=queued)
    return queued


async def queue_plain_mail(
    uow: UnitOfWork, kind: str, person: Recipient, values: dict[str, Any]
) -> int:
    """One e-mail to one person, in their language, that no preference turns off (an
    equipment notice, a password reset link): 1 when new, 0 when already queued or the
    person is inactive or has no e-mail."""
    assert uow.envelope is not None
    notifier = _notifiers[uow.service]
    contact = await store.contact_for(uow.conn, person.user_id, kind)
    if not contact["active"] or not contact["email"]:
        return 0
    locale = Locale(contact["locale"])
    mail = notifier.templates.email(
        kind, locale, {**values, "recipient_name": contact["display_name"]}
    )
    new = await store.queue_delivery(
        uow.conn,
        event_id=uow.envelope.message_id,
        kind=kind,
        incident_id=None,
        recipient_id=person.user_id,
        channel="email",
        address=contact["email"],
        locale=locale.value,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        reason=person.reason,
    )
    return int(new)
