"""What an incident's life tells people: its registration, its assignment, waiting on
the client and resolution, public replies."""

from __future__ import annotations

from desk_contracts.enums import EntryKind, Role, Visibility
from desk_contracts.messages import (
    EntryAdded,
    IncidentAssigned,
    IncidentRegistered,
    IncidentStatusChanged,
)
from desk_runtime.errors import NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import UnitOfWork

from .. import deliveries, grouping, recipients, store

handlers = Handlers()
log = get_logger(__name__)


def is_reply(event: EntryAdded) -> bool:
    """Whether the entry may notify anyone: public words or files."""
    return event.visibility is Visibility.PUBLIC and event.kind in recipients.REPLY_KINDS


@handlers.handles(IncidentRegistered)
async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """Confirms the registration to the requester, with the incident's number; the
    events about it that came first are handled now."""
    await store.save_incident(uow.conn, event)
    uow.arrived(store.INCIDENT, event.incident_id)
    incident = await store.known_incident(uow.conn, event.incident_id)
    await deliveries.queue(
        uow, "incident_registered", incident, recipients.on_registered(event.requester_id)
    )


@handlers.handles(IncidentAssigned)
async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
    """Tells the agent an incident is now theirs (a new one is now `assigned`:
    intake announces no separate status change for that)."""
    incident = await store.change_incident(
        uow.conn,
        event.incident_id,
        "assignee_id = $2, status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END",
        event.agent_id,
    )
    await deliveries.queue(
        uow, "incident_assigned", incident, recipients.on_assigned(event.agent_id)
    )


@handlers.handles(IncidentStatusChanged)
async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """Tells the requester when we wait on them and when the incident is resolved, and the
    assignee when the incident is reopened."""
    kind = recipients.status_kind(event.status)
    # Applied only if no later change has been (changes may arrive out of order); one
    # overtaken by a later change tells no one either.
    incident = await store.change_status(
        uow.conn, event.incident_id, event.status.value, event.changed_at
    )
    if incident is None:
        await store.overtaken(uow.conn, event.incident_id, "status_changed_at", event.changed_at)
        log.info("status_change_superseded", status=event.status.value)
        return
    if kind is None:
        return
    people = recipients.on_status(
        event.status, event.requester_id, event.assignee_id, event.actor_id
    )
    await deliveries.queue(uow, kind, incident, people)


@handlers.handles(EntryAdded)
async def on_entry(event: EntryAdded, uow: UnitOfWork) -> None:
    """A public reply is sent to the other side; internal entries never leave."""
    author = None
    if event.author_id is not None:
        author = await store.author(uow.conn, event.author_id)
        if author is None and is_reply(event):
            # A reply names its author (and their side): wait for their contact point.
            raise NotYet(store.CONTACT, event.author_id, f"author {event.author_id} not known yet")
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
    incident = await store.known_incident(uow.conn, event.incident_id)
    change = grouping.change_values(
        author_name=author_name or "Service Desk",
        text=event.text,
        files=event.files,
        is_files_only=event.kind is EntryKind.ATTACHMENT,
    )
    # Files added one by one, or replies in quick succession, make one message.
    await deliveries.queue(uow, "public_reply", incident, people, change)
