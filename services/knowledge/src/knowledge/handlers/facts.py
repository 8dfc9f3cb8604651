"""The facts knowledge keeps from other services: the category tree (suggestions climb
it), incidents and their public replies, resolutions and reopens (the report counts
requests, deflections and first-contact resolutions from them)."""

from __future__ import annotations

from desk_contracts.enums import EntryKind, Status, Visibility
from desk_contracts.messages import (
    CategoryUpserted,
    EntryAdded,
    IncidentReclassified,
    IncidentRegistered,
    IncidentStatusChanged,
)
from desk_runtime.errors import NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from ..domain import fcr
from ..store import facts

handlers = Handlers()

INCIDENT = "incident"

# The entries that are a contact with the client: public comments and files.
CONTACT_KINDS = frozenset({EntryKind.COMMENT, EntryKind.ATTACHMENT})


@handlers.handles(CategoryUpserted)
async def on_category(event: CategoryUpserted, uow: UnitOfWork) -> None:
    """Keeps the category tree: a suggestion climbs from the asked node to the root."""
    await facts.save_category(uow.conn, event)


@handlers.handles(IncidentRegistered)
async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """Keeps the incident's category and requester (a request in the report; a filing
    that takes a deflection back)."""
    await facts.save_incident(uow.conn, event)
    uow.arrived(INCIDENT, event.incident_id)


@handlers.handles(IncidentReclassified)
async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
    """The incident counts in its new category; waits for the registration."""
    if await facts.incident(uow.conn, event.incident_id) is None:
        raise NotYet(INCIDENT, event.incident_id)
    await facts.reclassify(uow.conn, event.incident_id, event.category_id)


@handlers.handles(EntryAdded)
async def on_entry(event: EntryAdded, uow: UnitOfWork) -> None:
    """A public reply by staff or by the client is a contact in the FCR timeline; a
    staff reply's linked article is kept with it."""
    if event.visibility is not Visibility.PUBLIC or event.kind not in CONTACT_KINDS:
        return
    if event.author_role is None:
        return
    staff = event.author_role.is_staff
    await facts.add_activity(
        uow.conn,
        event.incident_id,
        event.created_at,
        fcr.STAFF_REPLY if staff else fcr.CLIENT_REPLY,
        event.author_id,
        # The article a staff reply linked: the incident may be resolved with it.
        article_id=event.article_id if staff else None,
    )


@handlers.handles(IncidentStatusChanged)
async def on_status(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """Resolutions and reopens close and reopen the FCR timeline."""
    if event.status is Status.RESOLVED:
        kind = fcr.RESOLVED
    elif event.status is Status.REOPENED:
        kind = fcr.REOPENED
    else:
        return
    await facts.add_activity(uow.conn, event.incident_id, event.changed_at, kind, event.actor_id)
