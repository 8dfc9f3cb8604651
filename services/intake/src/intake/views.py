"""Rows into the replies intake gives: incidents, attachments, categories.

What a principal is shown depends on who it is (visibility of entries, the "updated"
a client sees), so the views take the principal and ask `domain.visibility`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.enums import Status
from desk_contracts.messages import (
    AttachmentView,
    CategoryView,
    EntryView,
    IncidentListItem,
    IncidentView,
    Principal,
)

from .domain import lifecycle, visibility
from .store import Db
from .store import entries as entry_store
from .store import incidents as incident_store


def view_principal(principal: Principal) -> visibility.Principal:
    return visibility.Principal(
        user_id=principal.user_id,
        role=principal.role,
        organization_id=principal.organization_id,
        scope=principal.scope,
    )


def can_see(p: visibility.Principal, row: asyncpg.Record | None) -> bool:
    """Whether the row (an incident, or anything carrying its requester and
    organization) exists for `p`."""
    return row is not None and visibility.can_see_incident(
        p, requester_id=row["requester_id"], organization_id=row["organization_id"]
    )


def attachment_view(a: asyncpg.Record) -> AttachmentView:
    return AttachmentView(
        attachment_id=a["id"],
        entry_id=a["entry_id"],
        incident_id=a["incident_id"],
        filename=a["filename"],
        size=a["size"],
        sha256=a["sha256"],
        declared_type=a["declared_type"],
        sniffed_type=a["sniffed_type"],
        created_at=a["created_at"],
    )


def category_view(row: asyncpg.Record) -> CategoryView:
    return CategoryView(
        category_id=row["id"],
        parent_id=row["parent_id"],
        code=row["code"],
        path=tuple(row["path"]),
        name=row["name"],
        colour=row["colour"],
        escalation_contact_id=row["escalation_contact_id"],
    )


def seen_updated_at(principal: visibility.Principal, row: asyncpg.Record) -> datetime:
    """Staff see every change; a client the last one it can see (internal notes and
    assignments leave a client's incident as it was)."""
    value: datetime = row["updated_at"] if principal.is_staff else row["public_updated_at"]
    return value


def list_item(principal: visibility.Principal, row: asyncpg.Record) -> IncidentListItem:
    """The incident as a list shows it to the principal."""
    return IncidentListItem(
        incident_id=row["id"],
        number=row["number"],
        title=row["title"],
        category_id=row["category_id"],
        category_path=tuple(row["category_path"]),
        priority=row["priority"],
        channel=row["channel"],
        status=row["status"],
        requester_id=row["requester_id"],
        organization_id=row["organization_id"],
        assignee_id=row["assignee_id"],
        response_due=row["response_due"],
        resolution_due=row["resolution_due"],
        created_at=row["created_at"],
        updated_at=seen_updated_at(principal, row),
    )


async def incident_view(
    db: Db, row: asyncpg.Record, principal: visibility.Principal
) -> IncidentView:
    """The incident with the entries (and their files) the principal may read, in order."""
    allowed = visibility.visible_visibilities(principal)
    entries = await entry_store.entries(db, row["id"], allowed)
    files: dict[UUID, list[AttachmentView]] = {}
    for a in await entry_store.attachments_of_incident(db, row["id"], allowed):
        files.setdefault(a["entry_id"], []).append(attachment_view(a))
    rating = await incident_store.rating(db, row["id"])
    return IncidentView(
        **dict(list_item(principal, row)),
        description=row["description"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        rating=rating["score"] if rating else None,
        rating_comment=rating["comment"] if rating else None,
        allowed_statuses=(
            lifecycle.allowed_targets(Status(row["status"]), lifecycle.Actor.STAFF)
            if principal.is_staff
            else ()
        ),
        equipment=row["equipment"],
        entries=tuple(
            EntryView(
                entry_id=e["id"],
                kind=e["kind"],
                visibility=e["visibility"],
                author_id=e["author_id"],
                author_role=e["author_role"],
                text=e["text"],
                created_at=e["created_at"],
                attachments=tuple(files.get(e["id"], ())),
                article_id=e["article_id"],
                article_version=e["article_version"],
                facts=e["facts"],
            )
            for e in entries
        ),
    )


async def fresh_view(db: Db, incident_id: UUID, principal: visibility.Principal) -> IncidentView:
    """The incident as it is now (after a change in this transaction)."""
    row = await incident_store.incident(db, incident_id)
    assert row is not None
    return await incident_view(db, row, principal)
