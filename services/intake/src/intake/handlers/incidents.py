"""An incident filed, read, and reclassified or retitled by staff."""

from __future__ import annotations

from uuid import UUID, uuid4

from desk_contracts import utc_now
from desk_contracts.enums import Channel, EntryKind, Priority, Role, Visibility
from desk_contracts.messages import (
    CreateIncident,
    GetIncident,
    IncidentCreated,
    IncidentReclassified,
    IncidentRegistered,
    IncidentView,
    UpdateIncident,
)
from desk_runtime.errors import Forbidden, Invalid, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from ..history import write_entry, write_original_mail, write_registered
from ..idempotency import request_digest, same_request
from ..store import categories as category_store
from ..store import entries as entry_store
from ..store import incidents as store
from ..views import can_see, fresh_view, incident_view, view_principal

handlers = Handlers()


@handlers.answers(CreateIncident)
async def create_incident(query: CreateIncident, service: Service) -> IncidentCreated:
    """Registers an incident and announces it; a repeated request_id returns the first."""
    principal = query.principal
    if principal.role is Role.CLIENT and (
        query.requester_id != principal.user_id
        or query.organization_id != principal.organization_id
    ):
        raise Forbidden("clients file incidents for themselves only")
    async with service.transaction() as uow:
        category = await category_store.category(uow.conn, query.category_id)
        if category is None:
            raise Invalid.field("category_id", "unknown category")
        incident_id = uuid4()
        now = utc_now()
        path = tuple(category["path"])
        digest = request_digest(
            query.requester_id,
            query.title,
            query.description,
            query.category_id,
            query.priority.value,
            query.channel.value,
            [(f.filename, f.sha256) for f in query.attachments],
            *([query.original.sha256] if query.original is not None else []),
        )
        # A repeated request inserts nothing and answers with the first incident.
        row = await store.insert(
            uow.conn, incident_id, query, category_path=path, at=now, digest=digest
        )
        if row is None:
            existing = await store.by_request(uow.conn, query.request_id)
            assert existing is not None
            same_request(existing["request_digest"], digest)
            return IncidentCreated(incident_id=existing["id"], number=existing["number"])
        number = row["number"]
        await uow.publish(
            IncidentRegistered(
                incident_id=incident_id,
                number=number,
                title=query.title,
                category_id=query.category_id,
                category_path=path,
                priority=query.priority,
                channel=query.channel,
                requester_id=query.requester_id,
                organization_id=query.organization_id,
                registered_at=now,
                # The quota claim the gateway made for this filing (SPEC §12) is
                # consumed by it.
                request_id=query.request_id,
            )
        )
        await write_registered(
            uow,
            row,
            channel=query.channel.value,
            at=now,
            author_id=principal.user_id,
            author_role=principal.role,
        )
        if query.attachments:
            entry_id = await write_entry(
                uow,
                row,
                kind=EntryKind.ATTACHMENT,
                visibility=Visibility.PUBLIC,
                text="Attached: " + ", ".join(f.filename for f in query.attachments),
                facts={
                    "line": "attached",
                    "files": ", ".join(f.filename for f in query.attachments),
                },
                at=now,
                author_id=principal.user_id,
                author_role=principal.role,
                # Part of the registration, not a reply: staff filing for a client
                # neither answer it (sla's first response) nor write to them.
                announce=False,
            )
            await entry_store.insert_attachments(
                uow.conn, incident_id, entry_id, query.attachments, now
            )
        if query.original is not None:
            await write_original_mail(uow, row, query.original, now, principal)
    return IncidentCreated(incident_id=incident_id, number=number)


@handlers.answers(GetIncident)
async def get_incident(query: GetIncident, service: Service) -> IncidentView:
    """The incident with the entries the principal may see; 404 outside its scope."""
    principal = view_principal(query.principal)
    row = await store.incident(service.pool, query.incident_id)
    if row is None or not can_see(principal, row):
        raise NotFound("incident not found")
    return await incident_view(service.pool, row, principal)


@handlers.answers(UpdateIncident)
async def update_incident(query: UpdateIncident, service: Service) -> IncidentView:
    """Staff reclassify or retitle; category/priority changes restart the SLA maths."""
    principal = view_principal(query.principal)
    if not principal.is_staff:
        raise NotFound("incident not found")
    if (
        query.title is None
        and query.category_id is None
        and query.priority is None
        and query.channel is None
    ):
        raise Invalid.field("body", "name at least one of title, category_id, priority, channel")
    title = query.title.strip() if query.title is not None else None
    if title == "":
        raise Invalid.field("title", "must not be blank")
    async with service.transaction() as uow:
        row = await store.incident_for_update(uow.conn, query.incident_id)
        if row is None:
            raise NotFound("incident not found")
        category_id: UUID = row["category_id"]
        path = tuple(row["category_path"])
        if query.category_id is not None:
            category = await category_store.category(uow.conn, query.category_id)
            if category is None:
                raise Invalid.field("category_id", "unknown category")
            category_id, path = category["id"], tuple(category["path"])
        priority = query.priority or Priority(row["priority"])
        channel = query.channel or Channel(row["channel"])
        changes: list[str] = []
        if title is not None and title != row["title"]:
            changes.append(f"title to “{title}”")
        if category_id != row["category_id"]:
            changes.append(f"category from {'/'.join(row['category_path'])} to {'/'.join(path)}")
        if priority.value != row["priority"]:
            changes.append(f"priority from {row['priority']} to {priority.value}")
        moved = channel.value != row["channel"]
        if moved:
            changes.append(f"channel from {row['channel']} to {channel.value}")
        if changes:
            now = utc_now()
            await store.reclassify(
                uow.conn,
                row["id"],
                title=title if title is not None else row["title"],
                category_id=category_id,
                category_path=path,
                priority=priority.value,
                channel=channel.value,
                at=now,
            )
            await write_entry(
                uow,
                row,
                kind=EntryKind.SYSTEM,
                visibility=Visibility.PUBLIC,
                text="Changed " + "; ".join(changes) + ".",
                at=now,
                author_id=principal.user_id,
                author_role=principal.role,
            )
            if moved or category_id != row["category_id"] or priority.value != row["priority"]:
                await uow.publish(
                    IncidentReclassified(
                        incident_id=row["id"],
                        category_id=category_id,
                        category_path=path,
                        priority=priority,
                        changed_at=now,
                        actor_id=principal.user_id,
                        channel=channel if moved else None,
                    )
                )
        return await fresh_view(uow.conn, row["id"], principal)
