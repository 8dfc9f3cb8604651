"""Every history line and every status change, written and announced one way.

Every history line goes through `write_entry` so each one is announced (EntryAdded),
and every status change through `transition` so each one is an entry and an
IncidentStatusChanged — the SLA clocks and notifications depend on both.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.enums import EntryKind, Role, Status, Visibility
from desk_contracts.messages import AttachmentMeta, EntryAdded, IncidentStatusChanged, Principal
from desk_runtime.service import UnitOfWork

from .store import entries as entry_store
from .store import incidents as incident_store

# History lines other services act on. Status, assignment, deadline and system lines
# record a change that has its own event (IncidentStatusChanged, IncidentAssigned,
# DeadlinesSet…); announcing them again as entries only made every consumer read and
# drop them.
ANNOUNCED_ENTRY_KINDS = frozenset({EntryKind.COMMENT, EntryKind.ATTACHMENT})


async def write_entry(
    uow: UnitOfWork,
    row: asyncpg.Record,
    *,
    kind: EntryKind,
    visibility: Visibility,
    text: str,
    at: datetime,
    author_id: UUID | None = None,
    author_role: Role | None = None,
    request_id: UUID | None = None,
    request_digest: str | None = None,
    assignee_id: UUID | None = None,
    announce: bool = True,
    facts: dict[str, str] | None = None,
    article: tuple[UUID, int] | None = None,
    files: tuple[str, ...] = (),
) -> UUID:
    """One history entry (announced when other services act on its kind). A system
    line passes its `facts` too, from which each reader's page words it in their
    language; `text` is its English wording (search, mail, old readers)."""
    entry_id = await entry_store.insert_entry(
        uow.conn,
        row["id"],
        kind=kind,
        visibility=visibility,
        text=text,
        at=at,
        author_id=author_id,
        author_role=author_role,
        request_id=request_id,
        request_digest=request_digest,
        facts=facts,
        article=article,
    )
    if not announce or kind not in ANNOUNCED_ENTRY_KINDS:
        return entry_id
    await uow.publish(
        EntryAdded(
            incident_id=row["id"],
            number=row["number"],
            entry_id=entry_id,
            kind=kind,
            visibility=visibility,
            author_id=author_id,
            author_role=author_role,
            text=text,
            created_at=at,
            requester_id=row["requester_id"],
            organization_id=row["organization_id"],
            assignee_id=assignee_id if assignee_id is not None else row["assignee_id"],
            article_id=article[0] if article else None,
            article_version=article[1] if article else None,
            files=files,
        )
    )
    return entry_id


async def write_original_mail(
    uow: UnitOfWork, row: asyncpg.Record, original: AttachmentMeta, at: datetime, by: Principal
) -> UUID:
    """The mail a filing or a reply came as, on an internal entry of its own (its file
    inherits the visibility: a client never sees it, by any path). Part of what the
    mail did, not a note: nobody is told of it."""
    entry_id = await write_entry(
        uow,
        row,
        kind=EntryKind.ATTACHMENT,
        visibility=Visibility.INTERNAL,
        text=f"Original mail: {original.filename}",
        facts={"line": "original_mail", "file": original.filename},
        at=at,
        author_id=by.user_id,
        author_role=by.role,
        announce=False,
    )
    await entry_store.insert_attachments(uow.conn, row["id"], entry_id, [original], at)
    return entry_id


async def write_registered(
    uow: UnitOfWork,
    row: asyncpg.Record,
    *,
    channel: str,
    at: datetime,
    author_id: UUID | None,
    author_role: Role | None,
) -> None:
    """The incident's first line: its number and the channel it came by."""
    number = row["number"]
    await write_entry(
        uow,
        row,
        kind=EntryKind.SYSTEM,
        visibility=Visibility.PUBLIC,
        text=f"Incident {number} registered via {channel}.",
        facts={"line": "registered", "number": number, "channel": channel},
        at=at,
        author_id=author_id,
        author_role=author_role,
    )


async def transition(
    uow: UnitOfWork,
    row: asyncpg.Record,
    target: Status,
    at: datetime,
    *,
    actor_id: UUID | None = None,
    actor_role: Role | None = None,
    reason: str = "",
    assignee_id: UUID | None = None,
    assigned_at: datetime | None = None,
    announce: bool = True,
) -> None:
    """Writes a checked status change: the row, its entry and (unless another event
    already says it) its event."""
    previous = Status(row["status"])
    assignee = assignee_id if assignee_id is not None else row["assignee_id"]
    await incident_store.set_status(
        uow.conn, row["id"], target, at, assignee_id=assignee, assigned_at=assigned_at
    )
    if target is Status.REOPENED:
        # A rating judged the resolution that the reopen undoes; its line stays in the
        # history, and the requester rates the next resolution afresh.
        await incident_store.clear_rating(uow.conn, row["id"])
    text = f"Status changed from {previous.value} to {target.value}."
    facts = {"line": "status", "from": previous.value, "to": target.value}
    if reason.strip():
        text += f" {reason.strip()}"
        facts["reason"] = reason.strip()
    await write_entry(
        uow,
        row,
        kind=EntryKind.STATUS,
        visibility=Visibility.PUBLIC,
        text=text,
        at=at,
        author_id=actor_id,
        author_role=actor_role,
        assignee_id=assignee,
        facts=facts,
    )
    if not announce:
        return
    await uow.publish(
        IncidentStatusChanged(
            incident_id=row["id"],
            number=row["number"],
            previous=previous,
            status=target,
            changed_at=at,
            actor_id=actor_id,
            assignee_id=assignee,
            requester_id=row["requester_id"],
            category_path=tuple(row["category_path"]),
            priority=row["priority"],
        )
    )
