"""Exactly-once e-mail and SMS, the queuing half: one delivery per (event, recipient,
channel), its unique key written in the event's own transaction (with its inbox row),
before anything is sent, so a redelivered event or a restart never queues twice. The
sending half (claims, leases, one `Message-ID` per delivery) is `sender.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import asyncpg
from desk_contracts.enums import Locale, Role
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork
from desk_runtime.settings import DeskSettings

from . import grouping, preferences, store
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


def reading_zone(contact: Mapping[str, Any], incident: Mapping[str, Any], desk_zone: str) -> str:
    """The zone a message quotes times in: the recipient's own choice, else, for a
    client of the incident's organization, its contract calendar's zone, else the
    desk's."""
    ours = contact["organization_id"] is not None and (
        contact["organization_id"] == incident.get("organization_id")
    )
    chosen: str = contact["time_zone"] or (ours and incident.get("time_zone")) or desk_zone
    return chosen


def _message(
    notifier: Notifier, kind: str, channel: str, locale: Locale, context: dict[str, Any]
) -> tuple[str, str, str | None]:
    """Subject, text and HTML of one message (a text message has only its text)."""
    if channel == "sms":
        return "", notifier.templates.sms(kind, locale, context), None
    mail = notifier.templates.email(kind, locale, context)
    return mail.subject, mail.text, mail.html


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
    returns how many were new. For a kind whose bursts are grouped, `values` is the
    event's change (`grouping.change_values`), joined to the delivery that still gathers
    for its (incident, recipient, channel) or starting one."""
    assert uow.envelope is not None
    notifier = _notifiers[uow.service]
    window = notifier.settings.notify.group_seconds
    grouped = grouping.groups(kind, window)
    queued = joined = 0
    # A change of a grouped kind sent alone reads as a group of one.
    shown = values or {}
    if values is not None and kind in grouping.GROUPED_KINDS:
        shown = grouping.message_values([values])
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
            "time_zone": reading_zone(contact, incident, notifier.settings.time_zone),
            **notifier.links(incident["incident_id"]),
        }
        for channel in preferences.channels_for(Role(contact["role"]), kind, choices):
            if channel == "sms":
                address = contact["phone"] if sms_enabled(notifier.settings) else None
            else:
                address = contact["email"]
            if not address:
                continue
            delivery = {
                "kind": kind,
                "incident_id": incident["incident_id"],
                "recipient_id": person.user_id,
                "channel": channel,
                "address": address,
                "locale": locale.value,
                "reason": person.reason,
            }
            # The event's change, when deliveries of its kind gather changes.
            change = values if grouped else None
            if change is not None and await _join_group(
                uow, notifier, delivery, locale, context, change
            ):
                joined += 1
                continue
            subject, text, html = _message(notifier, kind, channel, locale, {**context, **shown})
            timing: dict[str, Any] = {}
            if change is not None:
                now = await store.now(uow.conn)
                until = grouping.gathering_until(now, window)
                timing = {"due_at": grouping.send_at(now, until, window), "gathering_until": until}
            delivery_id = await store.queue_delivery(
                uow.conn,
                event_id=uow.envelope.message_id,
                subject=subject,
                text=text,
                html=html,
                **delivery,
                **timing,
            )
            if delivery_id is None:
                continue
            queued += 1
            if change is not None:
                await store.add_change(
                    uow.conn,
                    delivery_id=delivery_id,
                    event_id=uow.envelope.message_id,
                    recipient_id=person.user_id,
                    channel=channel,
                    position=1,
                    change=change,
                )
    log.info("notifications_queued", event_kind=kind, deliveries=queued, joined=joined)
    return queued


async def _join_group(
    uow: UnitOfWork,
    notifier: Notifier,
    delivery: dict[str, Any],
    locale: Locale,
    context: dict[str, Any],
    change: dict[str, Any],
) -> bool:
    """Adds the event's change to the delivery still gathering for its incident,
    recipient and channel, its message rewritten to list every change and its send
    put off by one window (capped); whether the change is now carried by one (a
    redelivered event's already is). False: nothing gathers, start a delivery."""
    assert uow.envelope is not None
    conn, event_id = uow.conn, uow.envelope.message_id
    recipient_id, channel = delivery["recipient_id"], delivery["channel"]
    if await store.change_known(conn, event_id, recipient_id, channel):
        return True
    group = await store.gathering(
        conn, delivery["incident_id"], recipient_id, channel, delivery["kind"]
    )
    if group is None:
        return False
    changes = [*group["changes"], change]
    subject, text, html = _message(
        notifier,
        delivery["kind"],
        channel,
        locale,
        {**context, **grouping.message_values(changes)},
    )
    await store.add_change(
        conn,
        delivery_id=group["id"],
        event_id=event_id,
        recipient_id=recipient_id,
        channel=channel,
        position=len(changes),
        change=change,
    )
    due_at = grouping.send_at(
        group["now"], group["gathering_until"], notifier.settings.notify.group_seconds
    )
    await store.regroup(conn, group["id"], subject=subject, text=text, html=html, due_at=due_at)
    return True


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
        kind,
        locale,
        {
            **values,
            "recipient_name": contact["display_name"],
            "time_zone": contact["time_zone"] or notifier.settings.time_zone,
        },
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
    return int(new is not None)
