"""Intake's handlers: translate messages into rows and rows into events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from desk_contracts import utc_now
from desk_contracts.enums import EntryKind, Role, Status, Visibility
from desk_contracts.messages import (
    CategoryUpserted,
    CreateIncident,
    DeadlinesSet,
    EntryView,
    GetIncident,
    IncidentAssigned,
    IncidentCreated,
    IncidentRegistered,
    IncidentStatusChanged,
    IncidentView,
    Principal,
    UpsertCategory,
)
from desk_runtime.errors import Forbidden, Invalid, NotFound
from desk_runtime.service import Service, UnitOfWork

from . import repository as repo
from .domain import visibility

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def view_principal(principal: Principal) -> visibility.Principal:
    return visibility.Principal(
        user_id=principal.user_id,
        role=principal.role,
        organization_id=principal.organization_id,
        scope=principal.scope,
    )


def register(service: Service) -> None:
    @service.handles(UpsertCategory)
    async def upsert_category(command: UpsertCategory, uow: UnitOfWork) -> None:
        """Creates or renames a node of the category tree (type / category / subcategory)."""
        parent_path: list[str] = []
        if command.parent_id is not None:
            parent = await repo.category(uow.conn, command.parent_id)
            if parent is None:
                # The parent's own command may still be on its way: retry later.
                raise LookupError(f"parent category {command.parent_id} not known yet")
            parent_path = list(parent["path"])
        await uow.conn.execute(
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
            [*parent_path, command.code],
        )

        await uow.publish(
            CategoryUpserted(
                category_id=command.category_id,
                parent_id=command.parent_id,
                path=(*parent_path, command.code),
                name=command.name,
                colour=command.colour,
                escalation_contact_id=command.escalation_contact_id,
            )
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
            existing = await uow.conn.fetchrow(
                "SELECT id, number FROM incidents WHERE request_id = $1", query.request_id
            )
            if existing is not None:
                return IncidentCreated(incident_id=existing["id"], number=existing["number"])
            category = await repo.category(uow.conn, query.category_id)
            if category is None:
                raise Invalid.field("category_id", "unknown category")
            incident_id = uuid4()
            now = utc_now()
            number = await uow.conn.fetchval(
                "SELECT 'INC-' || lpad(nextval('incident_number_seq')::text, 6, '0')"
            )
            path = tuple(category["path"])
            # Two deliveries of one request race here: the loser waits for the winner's
            # commit, inserts nothing and answers with the winner's incident.
            inserted = await uow.conn.fetchval(
                """
                INSERT INTO incidents (id, number, request_id, title, description, category_id,
                    category_path, priority, channel, status, requester_id, organization_id,
                    created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
                ON CONFLICT (request_id) DO NOTHING RETURNING true
                """,
                incident_id,
                number,
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
            )
            if not inserted:
                existing = await uow.conn.fetchrow(
                    "SELECT id, number FROM incidents WHERE request_id = $1", query.request_id
                )
                return IncidentCreated(incident_id=existing["id"], number=existing["number"])
            await repo.insert_entry(
                uow.conn,
                incident_id,
                kind=EntryKind.SYSTEM,
                visibility=Visibility.PUBLIC,
                text=f"Incident {number} registered via {query.channel.value}.",
                at=now,
                author_id=principal.user_id,
            )
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
        return IncidentCreated(incident_id=incident_id, number=number)

    @service.answers(GetIncident)
    async def get_incident(query: GetIncident, service: Service) -> IncidentView:
        """The incident with the entries the principal may see; 404 outside its scope."""
        principal = view_principal(query.principal)
        row = await repo.incident(service.pool, query.incident_id)
        if row is None or not visibility.can_see_incident(
            principal, requester_id=row["requester_id"], organization_id=row["organization_id"]
        ):
            raise NotFound("incident not found")
        entries = await repo.entries(
            service.pool, row["id"], visibility.visible_visibilities(principal)
        )
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
            updated_at=row["updated_at"],
            entries=tuple(
                EntryView(
                    entry_id=e["id"],
                    kind=e["kind"],
                    visibility=e["visibility"],
                    author_id=e["author_id"],
                    text=e["text"],
                    created_at=e["created_at"],
                )
                for e in entries
            ),
        )

    @service.handles(IncidentAssigned)
    async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
        """Records the assignee; a new incident becomes `assigned`."""
        row = await repo.incident_for_update(uow.conn, event.incident_id)
        if row is None:
            raise LookupError(f"incident {event.incident_id} not known")
        previous = Status(row["status"])
        status = Status.ASSIGNED if previous in (Status.NEW,) else previous
        await uow.conn.execute(
            "UPDATE incidents SET assignee_id = $2, status = $3, updated_at = $4 WHERE id = $1",
            event.incident_id,
            event.agent_id,
            status.value,
            event.assigned_at,
        )
        await repo.insert_entry(
            uow.conn,
            event.incident_id,
            kind=EntryKind.ASSIGNMENT,
            visibility=Visibility.INTERNAL,
            text=f"Assigned: {event.reason}",
            at=event.assigned_at,
        )
        if status is not previous:
            await repo.insert_entry(
                uow.conn,
                event.incident_id,
                kind=EntryKind.STATUS,
                visibility=Visibility.PUBLIC,
                text=f"Status changed from {previous.value} to {status.value}.",
                at=event.assigned_at,
            )
            await uow.publish(
                IncidentStatusChanged(
                    incident_id=event.incident_id,
                    number=row["number"],
                    previous=previous,
                    status=status,
                    changed_at=event.assigned_at,
                    assignee_id=event.agent_id,
                    requester_id=row["requester_id"],
                    category_path=tuple(row["category_path"]),
                    priority=row["priority"],
                )
            )

    @service.handles(DeadlinesSet)
    async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
        """Keeps the due times next to the incident for lists, filters and `overdue`."""
        updated = await uow.conn.fetchval(
            "UPDATE incidents SET response_due = $2, resolution_due = $3 WHERE id = $1 "
            "RETURNING true",
            event.incident_id,
            event.response_due,
            event.resolution_due,
        )
        if not updated:
            raise LookupError(f"incident {event.incident_id} not known")
        await repo.insert_entry(
            uow.conn,
            event.incident_id,
            kind=EntryKind.DEADLINE,
            visibility=Visibility.PUBLIC,
            text=(
                f"Deadlines under {event.contract_name} v{event.contract_version}: "
                f"first response by {_iso(event.response_due)}, "
                f"resolution by {_iso(event.resolution_due)}."
            ),
            at=event.computed_at,
        )


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
