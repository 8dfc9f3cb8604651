"""Intake's handlers: translate messages into rows and rows into events.

Every history line goes through `_write_entry` so each one is announced (EntryAdded),
and every status change through `_transition` so each one is an entry and an
IncidentStatusChanged — the SLA clocks and notifications depend on both.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts import ErrorItem, utc_now
from desk_contracts.enums import EntryKind, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    AddEntry,
    AttachmentView,
    CategoryList,
    CategoryUpserted,
    CategoryView,
    ChangeStatus,
    CountIncidents,
    CreateIncident,
    DeadlinesSet,
    EntryAdded,
    EntryCreated,
    EntryView,
    GetAttachment,
    GetIncident,
    IncidentAssigned,
    IncidentCount,
    IncidentCounts,
    IncidentCreated,
    IncidentListItem,
    IncidentPage,
    IncidentReclassified,
    IncidentRegistered,
    IncidentState,
    IncidentStates,
    IncidentStatusChanged,
    IncidentView,
    ListCategories,
    ListIncidents,
    ListIncidentStates,
    Principal,
    RateIncident,
    SaveCategory,
    UpdateIncident,
    UpsertCategory,
)
from desk_runtime.errors import Conflict, Forbidden, Invalid, NotFound, NotYet
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from . import listing
from . import repository as repo
from .domain import lifecycle, visibility

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Lists count their matches exactly up to this many (then "10,000+").
COUNT_CAP = 10_000
log = get_logger(__name__)

# The fact a child node's command waits for: its parent node.
CATEGORY = "category"

# History lines other services act on. Status, assignment, deadline and system lines
# record a change that has its own event (IncidentStatusChanged, IncidentAssigned,
# DeadlinesSet…); announcing them again as entries only made every consumer read and
# drop them.
ANNOUNCED_ENTRY_KINDS = frozenset({EntryKind.COMMENT, EntryKind.ATTACHMENT})

LIST_COLUMNS = (
    "id, number, title, category_id, category_path, priority, channel, status, requester_id, "
    "organization_id, assignee_id, response_due, resolution_due, created_at, updated_at, "
    "public_updated_at"
)


def view_principal(principal: Principal) -> visibility.Principal:
    return visibility.Principal(
        user_id=principal.user_id,
        role=principal.role,
        organization_id=principal.organization_id,
        scope=principal.scope,
    )


def _can_see(p: visibility.Principal, row: asyncpg.Record | None) -> bool:
    return row is not None and visibility.can_see_incident(
        p, requester_id=row["requester_id"], organization_id=row["organization_id"]
    )


def _attachment_view(a: asyncpg.Record) -> AttachmentView:
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


def seen_updated_at(principal: visibility.Principal, row: asyncpg.Record) -> datetime:
    """Staff see every change; a client the last one it can see (internal notes and
    assignments leave a client's incident as it was)."""
    value: datetime = row["updated_at"] if principal.is_staff else row["public_updated_at"]
    return value


async def incident_view(
    db: repo.Db, row: asyncpg.Record, principal: visibility.Principal
) -> IncidentView:
    """The incident with the entries (and their files) the principal may read, in order."""
    allowed = visibility.visible_visibilities(principal)
    entries = await repo.entries(db, row["id"], allowed)
    files: dict[UUID, list[AttachmentView]] = {}
    for a in await repo.attachments_of_incident(db, row["id"], allowed):
        files.setdefault(a["entry_id"], []).append(_attachment_view(a))
    rating = await repo.rating(db, row["id"])
    return IncidentView(
        incident_id=row["id"],
        number=row["number"],
        title=row["title"],
        description=row["description"],
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
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        rating=rating["score"] if rating else None,
        rating_comment=rating["comment"] if rating else None,
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
            )
            for e in entries
        ),
    )


def request_digest(*asked: object) -> str:
    """A fingerprint of what a request asked for: its retry must ask the same."""
    return hashlib.sha256(json.dumps(asked, default=str).encode()).hexdigest()


def _same_request(stored: str | None, digest: str) -> None:
    """A request id (the client's Idempotency-Key) seen before must come with the same
    request; answering a different one with the first one's result would drop it."""
    if stored is not None and stored != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            errors=[ErrorItem(field="Idempotency-Key", message="already used for another request")],
        )


async def _write_entry(
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
) -> UUID:
    entry_id = await repo.insert_entry(
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
        )
    )
    return entry_id


async def _transition(
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
    await uow.conn.execute(
        """
        UPDATE incidents SET status = $2, updated_at = $3, assignee_id = $4,
            -- its status entry is public
            public_updated_at = greatest(public_updated_at, $3),
            assigned_at = coalesce($5, assigned_at),
            resolved_at = CASE WHEN $2 = 'resolved' THEN $3
                               WHEN $2 = 'closed' THEN resolved_at ELSE NULL END,
            closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE NULL END
        WHERE id = $1
        """,
        row["id"],
        target.value,
        at,
        assignee,
        assigned_at,
    )
    text = f"Status changed from {previous.value} to {target.value}."
    if reason.strip():
        text += f" {reason.strip()}"
    await _write_entry(
        uow,
        row,
        kind=EntryKind.STATUS,
        visibility=Visibility.PUBLIC,
        text=text,
        at=at,
        author_id=actor_id,
        author_role=actor_role,
        assignee_id=assignee,
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


async def _apply_category(
    conn: asyncpg.Connection, command: UpsertCategory, *, create: bool | None
) -> CategoryUpserted:
    """Creates or changes a node; `create=None` (the command path) accepts either.

    A node keeps its place and code once made: incidents and contracts refer to its
    path, so moving it would silently change their meaning."""
    existing = await repo.category(conn, command.category_id)
    if create is True and existing is not None:
        raise Conflict("category exists", errors=[ErrorItem(field="id", message="exists")])
    if create is False and existing is None:
        raise NotFound("category not found")
    parent_path: list[str] = []
    if command.parent_id is not None:
        parent = await repo.category(conn, command.parent_id)
        if parent is None:
            if create is None:
                # The seed sends a tree in one go and consumers run concurrently: the
                # parent's own command may still be on its way (this one waits, parked).
                raise NotYet(CATEGORY, command.parent_id)
            raise Invalid.field("parent_id", "unknown category")
        parent_path = list(parent["path"])
    if existing is not None and (
        existing["parent_id"] != command.parent_id or existing["code"] != command.code
    ):
        raise Invalid.field("code", "a category keeps its code and parent once created")
    path = [*parent_path, command.code]
    if len(path) > 3:
        raise Invalid.field("parent_id", "the tree has three levels at most")
    if existing is None:
        clash = await conn.fetchval("SELECT 1 FROM categories WHERE path = $1", path)
        if clash:
            raise Conflict(
                "a sibling already has this code",
                errors=[ErrorItem(field="code", message="already used under this parent")],
            )
    await conn.execute(
        """
        INSERT INTO categories (id, parent_id, code, name, colour, escalation_contact_id, path)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (id) DO UPDATE SET
            name = EXCLUDED.name, colour = EXCLUDED.colour,
            escalation_contact_id = EXCLUDED.escalation_contact_id, updated_at = now()
        """,
        command.category_id,
        command.parent_id,
        command.code,
        command.name,
        command.colour,
        command.escalation_contact_id,
        path,
    )
    return CategoryUpserted(
        category_id=command.category_id,
        parent_id=command.parent_id,
        path=tuple(path),
        name=command.name,
        colour=command.colour,
        escalation_contact_id=command.escalation_contact_id,
    )


def _category_view(row: asyncpg.Record) -> CategoryView:
    return CategoryView(
        category_id=row["id"],
        parent_id=row["parent_id"],
        code=row["code"],
        path=tuple(row["path"]),
        name=row["name"],
        colour=row["colour"],
        escalation_contact_id=row["escalation_contact_id"],
    )


def _illegal(error: lifecycle.IllegalTransition) -> Conflict:
    return Conflict(
        str(error),
        errors=[ErrorItem(field="status", message=str(error))],
        data={"allowed": [s.value for s in error.allowed]},
    )


def register(service: Service) -> None:
    settings = service.settings
    reopen_window = timedelta(days=settings.reopen_window_days)

    @service.handles(UpsertCategory)
    async def upsert_category(command: UpsertCategory, uow: UnitOfWork) -> None:
        """Creates or renames a node of the category tree (type / category / subcategory);
        the children that came first are created next."""
        await uow.publish(await _apply_category(uow.conn, command, create=None))
        uow.arrived(CATEGORY, command.category_id)

    @service.answers(SaveCategory)
    async def save_category(query: SaveCategory, service: Service) -> CategoryView:
        """Admin: create or change a category node and announce it."""
        if query.principal.role is not Role.ADMIN:
            raise Forbidden("admins only")
        async with service.transaction() as uow:
            await uow.publish(await _apply_category(uow.conn, query.category, create=query.create))
            uow.arrived(CATEGORY, query.category.category_id)
            row = await repo.category(uow.conn, query.category.category_id)
        assert row is not None
        return _category_view(row)

    @service.answers(ListCategories)
    async def list_categories(query: ListCategories, service: Service) -> CategoryList:
        """The whole tree in path order (every user picks from it when filing)."""
        return CategoryList(
            items=tuple(_category_view(r) for r in await repo.categories(service.pool))
        )

    @service.answers(ListIncidentStates)
    async def list_incident_states(query: ListIncidentStates, service: Service) -> IncidentStates:
        """Open incidents in id order (or the named ones in any state): status, assignee
        and registration facts, for routing to reconcile its books with."""
        columns = "id, status, assignee_id, assigned_at, category_path, priority, created_at"
        if query.incident_ids is not None:
            rows = await service.pool.fetch(
                f"SELECT {columns} FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id",
                list(query.incident_ids),
            )
            next_after = None
        else:
            rows = await service.pool.fetch(
                f"SELECT {columns} FROM incidents "
                "WHERE status NOT IN ('resolved', 'closed') AND ($1::uuid IS NULL OR id > $1) "
                "ORDER BY id LIMIT $2",
                query.after,
                query.limit,
            )
            next_after = rows[-1]["id"] if len(rows) == query.limit else None
        return IncidentStates(
            items=tuple(
                IncidentState(
                    incident_id=r["id"],
                    status=Status(r["status"]),
                    assignee_id=r["assignee_id"],
                    assigned_at=r["assigned_at"],
                    category_path=tuple(r["category_path"]),
                    priority=Priority(r["priority"]),
                    registered_at=r["created_at"],
                )
                for r in rows
            ),
            next_after=next_after,
        )

    @service.answers(CreateIncident)
    async def create_incident(query: CreateIncident, service: Service) -> IncidentCreated:
        """Registers an incident and announces it; a repeated request_id returns the first."""
        principal = query.principal
        if principal.role is Role.CLIENT and (
            query.requester_id != principal.user_id
            or query.organization_id != principal.organization_id
        ):
            raise Forbidden("clients file incidents for themselves only")
        async with service.transaction() as uow:
            category = await repo.category(uow.conn, query.category_id)
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
            )
            # A repeated request inserts nothing and answers with the first incident; two
            # deliveries of one request racing here: the loser waits for the winner's
            # commit and does the same. (The number it drew stays unused.)
            row = await uow.conn.fetchrow(
                """
                INSERT INTO incidents (id, number, request_id, title, description, category_id,
                    category_path, priority, channel, status, requester_id, organization_id,
                    created_at, updated_at, public_updated_at, request_digest)
                VALUES ($1, 'INC-' || lpad(nextval('incident_number_seq')::text, 6, '0'),
                    $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12, $13)
                ON CONFLICT (request_id) DO NOTHING RETURNING *
                """,
                incident_id,
                query.request_id,
                query.title,
                query.description,
                query.category_id,
                list(path),
                query.priority.value,
                query.channel.value,
                Status.NEW.value,
                query.requester_id,
                query.organization_id,
                now,
                digest,
            )
            if row is None:
                existing = await uow.conn.fetchrow(
                    "SELECT id, number, request_digest FROM incidents WHERE request_id = $1",
                    query.request_id,
                )
                _same_request(existing["request_digest"], digest)
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
                )
            )
            await _write_entry(
                uow,
                row,
                kind=EntryKind.SYSTEM,
                visibility=Visibility.PUBLIC,
                text=f"Incident {number} registered via {query.channel.value}.",
                at=now,
                author_id=principal.user_id,
                author_role=principal.role,
            )
            if query.attachments:
                entry_id = await _write_entry(
                    uow,
                    row,
                    kind=EntryKind.ATTACHMENT,
                    visibility=Visibility.PUBLIC,
                    text="Attached: " + ", ".join(f.filename for f in query.attachments),
                    at=now,
                    author_id=principal.user_id,
                    author_role=principal.role,
                    # Part of the registration, not a reply: staff filing for a client
                    # neither answer it (sla's first response) nor write to them.
                    announce=False,
                )
                await repo.insert_attachments(
                    uow.conn, incident_id, entry_id, query.attachments, now
                )
        return IncidentCreated(incident_id=incident_id, number=number)

    @service.answers(GetIncident)
    async def get_incident(query: GetIncident, service: Service) -> IncidentView:
        """The incident with the entries the principal may see; 404 outside its scope."""
        principal = view_principal(query.principal)
        row = await repo.incident(service.pool, query.incident_id)
        if row is None or not _can_see(principal, row):
            raise NotFound("incident not found")
        return await incident_view(service.pool, row, principal)

    @service.answers(ListIncidents)
    async def list_incidents(query: ListIncidents, service: Service) -> IncidentPage:
        """A page of the principal's incidents with the total, filtered at the source."""
        principal = view_principal(query.principal)
        path: tuple[str, ...] | None = None
        if query.category_id is not None:
            category = await repo.category(service.pool, query.category_id)
            if category is None:
                raise Invalid.field("category", "unknown category")
            path = tuple(category["path"])
        now = utc_now()
        where = listing.list_filter(query, principal, category_path=path, now=now)
        n = len(where.args)
        async with service.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            if not principal.is_staff:
                # A generic plan cannot see how much of one organization the words match
                # and picked a 27 ms join-and-sort over a 1.5 ms walk of the date index;
                # a client's list is planned for its own values. (Staff lists fare
                # better with the cached plan: it stops counting early on common words.)
                await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            count_sql, count_args = listing.count_statement(
                query, principal, category_path=path, now=now, cap=COUNT_CAP
            )
            counted = await conn.fetchval(count_sql, *count_args)
            order = listing.order_by(query.sort, principal)
            rows = await conn.fetch(
                f"SELECT {LIST_COLUMNS} FROM incidents WHERE {where.where} "
                f"ORDER BY {order} LIMIT ${n + 1} OFFSET ${n + 2}",
                *where.args,
                query.limit,
                query.offset,
            )
        return IncidentPage(
            total=min(counted, COUNT_CAP),
            total_exact=counted <= COUNT_CAP,
            items=tuple(
                IncidentListItem(
                    incident_id=r["id"],
                    number=r["number"],
                    title=r["title"],
                    category_id=r["category_id"],
                    category_path=tuple(r["category_path"]),
                    priority=r["priority"],
                    channel=r["channel"],
                    status=r["status"],
                    requester_id=r["requester_id"],
                    organization_id=r["organization_id"],
                    assignee_id=r["assignee_id"],
                    response_due=r["response_due"],
                    resolution_due=r["resolution_due"],
                    created_at=r["created_at"],
                    updated_at=seen_updated_at(principal, r),
                )
                for r in rows
            ),
        )

    @service.answers(CountIncidents)
    async def count_incidents(query: CountIncidents, service: Service) -> IncidentCounts:
        """Staff's tree of counts by category × priority × status."""
        principal = view_principal(query.principal)
        if not principal.is_staff:
            raise Forbidden("staff only")
        where = listing.scope_filter(principal)
        if query.organization_id is not None:
            where.add("organization_id = {0}", query.organization_id)
        rows = await service.pool.fetch(
            "SELECT category_id, category_path, priority, status, count(*) AS n FROM incidents "
            f"WHERE {where.where} GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4",
            *where.args,
        )
        groups = tuple(
            IncidentCount(
                category_id=r["category_id"],
                category_path=tuple(r["category_path"]),
                priority=r["priority"],
                status=r["status"],
                count=r["n"],
            )
            for r in rows
        )
        return IncidentCounts(total=sum(g.count for g in groups), groups=groups)

    @service.answers(AddEntry)
    async def add_entry(query: AddEntry, service: Service) -> EntryCreated:
        """A reply or note (+ files); a client's reply while waiting on it resumes work."""
        principal = view_principal(query.principal)
        text = query.text.strip()
        async with service.transaction() as uow:
            row = await repo.incident_for_update(uow.conn, query.incident_id)
            if row is None or not _can_see(principal, row):
                raise NotFound("incident not found")
            try:
                entry_visibility = visibility.entry_visibility_for(principal, query.visibility)
            except visibility.VisibilityNotAllowed as error:
                raise Invalid.field(
                    "visibility", "clients can only write public entries"
                ) from error
            if not text and not query.attachments:
                raise Invalid.field("text", "write a text or attach a file")
            # The incident is part of it: a key reused on another incident is refused.
            digest = request_digest(
                row["id"],
                text,
                entry_visibility.value,
                [(f.filename, f.sha256) for f in query.attachments],
            )
            done = await uow.conn.fetchrow(
                "SELECT id, request_digest FROM entries WHERE request_id = $1",
                query.request_id,
            )
            if done is not None:
                _same_request(done["request_digest"], digest)
                return EntryCreated(
                    entry_id=done["id"], incident_id=row["id"], status=row["status"]
                )
            status = Status(row["status"])
            if status is Status.CLOSED:
                raise Conflict(
                    "the incident is closed; file a new one",
                    errors=[
                        ErrorItem(field="incident", message="closed incidents take no entries")
                    ],
                )
            now = utc_now()
            kind = EntryKind.COMMENT
            if not text:
                kind = EntryKind.ATTACHMENT
                text = "Attached: " + ", ".join(f.filename for f in query.attachments)
            entry_id = await _write_entry(
                uow,
                row,
                kind=kind,
                visibility=entry_visibility,
                text=text,
                at=now,
                author_id=principal.user_id,
                author_role=principal.role,
                request_id=query.request_id,
                request_digest=digest,
            )
            if query.attachments:
                await repo.insert_attachments(uow.conn, row["id"], entry_id, query.attachments, now)
            # A public entry is what a client sees change: it moves their "updated".
            await uow.conn.execute(
                "UPDATE incidents SET updated_at = $2, public_updated_at = CASE WHEN $3 "
                "THEN greatest(public_updated_at, $2) ELSE public_updated_at END WHERE id = $1",
                row["id"],
                now,
                entry_visibility is Visibility.PUBLIC,
            )
            if not principal.is_staff and (after := lifecycle.status_after_client_reply(status)):
                lifecycle.check_transition(status, after, lifecycle.Actor.SYSTEM)
                await _transition(uow, row, after, now, reason="The client replied.")
                status = after
        return EntryCreated(entry_id=entry_id, incident_id=row["id"], status=status)

    @service.answers(ChangeStatus)
    async def change_status(query: ChangeStatus, service: Service) -> IncidentView:
        """A status change by staff, or by the requester on a resolved incident."""
        principal = view_principal(query.principal)
        async with service.transaction() as uow:
            row = await repo.incident_for_update(uow.conn, query.incident_id)
            if row is None or not _can_see(principal, row):
                raise NotFound("incident not found")
            if not principal.is_staff and row["requester_id"] != principal.user_id:
                raise Forbidden("only the requester may confirm or reopen")
            actor = lifecycle.Actor.STAFF if principal.is_staff else lifecycle.Actor.CLIENT
            now = utc_now()
            try:
                lifecycle.check_transition(
                    Status(row["status"]),
                    query.status,
                    actor,
                    resolved_at=row["resolved_at"],
                    now=now,
                    reopen_window=reopen_window,
                )
            except lifecycle.IllegalTransition as error:
                raise _illegal(error) from error
            await _transition(
                uow,
                row,
                query.status,
                now,
                actor_id=principal.user_id,
                actor_role=principal.role,
                reason=query.reason,
            )
            fresh = await repo.incident(uow.conn, row["id"])
            assert fresh is not None
            return await incident_view(uow.conn, fresh, principal)

    @service.answers(UpdateIncident)
    async def update_incident(query: UpdateIncident, service: Service) -> IncidentView:
        """Staff reclassify or retitle; category/priority changes restart the SLA maths."""
        principal = view_principal(query.principal)
        if not principal.is_staff:
            raise NotFound("incident not found")
        if query.title is None and query.category_id is None and query.priority is None:
            raise Invalid.field("body", "name at least one of title, category_id, priority")
        title = query.title.strip() if query.title is not None else None
        if title == "":
            raise Invalid.field("title", "must not be blank")
        async with service.transaction() as uow:
            row = await repo.incident_for_update(uow.conn, query.incident_id)
            if row is None:
                raise NotFound("incident not found")
            category_id: UUID = row["category_id"]
            path = tuple(row["category_path"])
            if query.category_id is not None:
                category = await repo.category(uow.conn, query.category_id)
                if category is None:
                    raise Invalid.field("category_id", "unknown category")
                category_id, path = category["id"], tuple(category["path"])
            priority = query.priority or Priority(row["priority"])
            changes: list[str] = []
            if title is not None and title != row["title"]:
                changes.append(f"title to “{title}”")
            if category_id != row["category_id"]:
                changes.append(
                    f"category from {'/'.join(row['category_path'])} to {'/'.join(path)}"
                )
            if priority.value != row["priority"]:
                changes.append(f"priority from {row['priority']} to {priority.value}")
            if changes:
                now = utc_now()
                await uow.conn.execute(
                    "UPDATE incidents SET title = $2, category_id = $3, category_path = $4, "
                    "priority = $5, updated_at = $6, "
                    "public_updated_at = greatest(public_updated_at, $6) WHERE id = $1",
                    row["id"],
                    title if title is not None else row["title"],
                    category_id,
                    list(path),
                    priority.value,
                    now,
                )
                await _write_entry(
                    uow,
                    row,
                    kind=EntryKind.SYSTEM,
                    visibility=Visibility.PUBLIC,
                    text="Changed " + "; ".join(changes) + ".",
                    at=now,
                    author_id=principal.user_id,
                    author_role=principal.role,
                )
                if category_id != row["category_id"] or priority.value != row["priority"]:
                    await uow.publish(
                        IncidentReclassified(
                            incident_id=row["id"],
                            category_id=category_id,
                            category_path=path,
                            priority=priority,
                            changed_at=now,
                            actor_id=principal.user_id,
                        )
                    )
            fresh = await repo.incident(uow.conn, row["id"])
            assert fresh is not None
            return await incident_view(uow.conn, fresh, principal)

    @service.answers(RateIncident)
    async def rate_incident(query: RateIncident, service: Service) -> IncidentView:
        """The requester rates a resolved (or closed) incident; a new rating replaces it."""
        principal = view_principal(query.principal)
        async with service.transaction() as uow:
            row = await repo.incident_for_update(uow.conn, query.incident_id)
            if row is None or not _can_see(principal, row):
                raise NotFound("incident not found")
            if row["requester_id"] != principal.user_id:
                raise Forbidden("only the requester rates an incident")
            if Status(row["status"]) not in (Status.RESOLVED, Status.CLOSED):
                raise Conflict(
                    "an incident is rated after its resolution",
                    errors=[ErrorItem(field="score", message="the incident is not resolved yet")],
                )
            now = utc_now()
            await uow.conn.execute(
                """
                INSERT INTO ratings (incident_id, score, comment, rated_by, rated_at)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (incident_id) DO UPDATE SET score = EXCLUDED.score,
                    comment = EXCLUDED.comment, rated_by = EXCLUDED.rated_by,
                    rated_at = EXCLUDED.rated_at
                """,
                row["id"],
                query.score,
                query.comment.strip(),
                principal.user_id,
                now,
            )
            await uow.conn.execute(
                "UPDATE incidents SET updated_at = greatest(updated_at, $2), "
                "public_updated_at = greatest(public_updated_at, $2) WHERE id = $1",
                row["id"],
                now,
            )
            text = f"Rated {query.score}/5."
            if query.comment.strip():
                text += f" {query.comment.strip()}"
            await _write_entry(
                uow,
                row,
                kind=EntryKind.SYSTEM,
                visibility=Visibility.PUBLIC,
                text=text,
                at=now,
                author_id=principal.user_id,
                author_role=principal.role,
            )
            fresh = await repo.incident(uow.conn, row["id"])
            assert fresh is not None
            return await incident_view(uow.conn, fresh, principal)

    @service.answers(GetAttachment)
    async def get_attachment(query: GetAttachment, service: Service) -> AttachmentView:
        """An attachment's metadata; 404 outside the scope or on an internal entry for
        a client (it inherits its entry's visibility)."""
        principal = view_principal(query.principal)
        row = await repo.attachment_with_scope(service.pool, query.attachment_id)
        if (
            row is None
            or not _can_see(principal, row)
            or not visibility.can_see_entry(principal, Visibility(row["visibility"]))
        ):
            raise NotFound("attachment not found")
        return _attachment_view(row)

    @service.handles(IncidentAssigned)
    async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
        """Records the assignee; a new incident becomes `assigned`, others keep status."""
        row = await repo.incident_for_update(uow.conn, event.incident_id)
        if row is None:
            raise LookupError(f"incident {event.incident_id} not known")
        previous = Status(row["status"])
        # Two quick reassignments may arrive out of order: the later decision stands,
        # the earlier one is still history.
        latest = row["assigned_at"] is None or row["assigned_at"] <= event.assigned_at
        if latest and previous is not Status.NEW:  # a new one's transition writes it
            await uow.conn.execute(
                "UPDATE incidents SET assignee_id = $2, assigned_at = $3, "
                "updated_at = greatest(updated_at, $3) WHERE id = $1",
                event.incident_id,
                event.agent_id,
                event.assigned_at,
            )
        await _write_entry(
            uow,
            row,
            kind=EntryKind.ASSIGNMENT,
            visibility=Visibility.INTERNAL,
            text=f"Assigned: {event.reason}",
            at=event.assigned_at,
            assignee_id=event.agent_id if latest else row["assignee_id"],
        )
        if latest and previous is Status.NEW:
            # sla, routing and notify learn new → assigned from IncidentAssigned itself.
            await _transition(
                uow,
                row,
                Status.ASSIGNED,
                event.assigned_at,
                assignee_id=event.agent_id,
                assigned_at=event.assigned_at,
                announce=False,
            )

    @service.handles(DeadlinesSet)
    async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
        """Keeps the due times next to the incident for lists, filters and `overdue`."""
        row = await repo.incident_for_update(uow.conn, event.incident_id)
        if row is None:
            raise LookupError(f"incident {event.incident_id} not known")
        # Applied only if no later computation has been: sla announces again on every
        # pause and reclassification, and two announcements may arrive swapped.
        applied = await uow.conn.fetchval(
            "UPDATE incidents SET response_due = $2, resolution_due = $3, "
            "deadlines_computed_at = $4, public_updated_at = greatest(public_updated_at, $4) "
            "WHERE id = $1 AND (deadlines_computed_at IS NULL OR deadlines_computed_at <= $4) "
            "RETURNING true",
            event.incident_id,
            event.response_due,
            event.resolution_due,
            event.computed_at,
        )
        if not applied:
            # Overtaken by a later computation: its due times are the ones that stand,
            # and the history must not end on these.
            log.info("deadlines_superseded", computed_at=event.computed_at.isoformat())
            return
        await _write_entry(
            uow,
            row,
            kind=EntryKind.DEADLINE,
            visibility=Visibility.PUBLIC,
            text=(
                f"Deadlines under {event.contract_name} v{event.contract_version}: "
                f"first response by {_iso(event.response_due)}, "
                f"resolution by {_iso(event.resolution_due)}."
            ),
            at=event.computed_at,
        )

    @service.background
    async def auto_close(service: Service) -> None:
        """Closes resolved incidents after DESK_AUTO_CLOSE_DAYS."""
        after = timedelta(days=service.settings.auto_close_days)
        # Sleep at most half the delay (and at most 30 s) so closing is never late by
        # more than that; a week's delay does not need finer polling.
        nap = min(30.0, max(0.2, after.total_seconds() / 2))
        while True:
            closed = await close_due(service, after)
            if closed:
                log.info("incidents_auto_closed", count=closed)
                continue
            await asyncio.sleep(nap)


async def close_due(service: Service, after: timedelta, batch: int = 100) -> int:
    """One pass of the auto-close: rows locked with SKIP LOCKED, so two intake
    instances never close one incident twice."""
    async with service.transaction() as uow:
        now = utc_now()
        rows: list[Any] = await uow.conn.fetch(
            "SELECT * FROM incidents WHERE status = 'resolved' AND resolved_at <= $1 "
            "ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            now - after,
            batch,
        )
        for row in rows:
            if lifecycle.due_for_auto_close(Status.RESOLVED, row["resolved_at"], now, after):
                await _transition(
                    uow,
                    row,
                    Status.CLOSED,
                    now,
                    reason=f"Closed automatically {service.settings.auto_close_days:g} days "
                    "after resolution.",
                )
        return len(rows)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
