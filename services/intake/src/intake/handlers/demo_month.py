"""The demo month (DESK_DEMO=1): past incidents written once each with their history
lines, by the same steps as live ones but announcing nothing live (no mail, no
assignment, no clock): one `IncidentHistorySeeded` tells sla, routing and knowledge
what was written, with the numbers drawn here."""

from __future__ import annotations

from uuid import UUID

from desk_contracts.enums import EntryKind, Role, Status, Visibility
from desk_contracts.messages import (
    HistoricIncident,
    IncidentHistorySeeded,
    SeededChange,
    SeededEntry,
    SeededIncident,
    SeedIncidentHistory,
)
from desk_runtime.errors import NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from ..history import transition, write_entry, write_registered
from ..store import categories as category_store
from ..store import incidents as store
from .categories import CATEGORY

handlers = Handlers()


@handlers.handles(SeedIncidentHistory)
async def seed_history(command: SeedIncidentHistory, uow: UnitOfWork) -> None:
    conn = uow.conn
    paths: dict[UUID, tuple[str, ...]] = {}
    for seeded in command.incidents:
        if seeded.category_id not in paths:
            category = await category_store.category(conn, seeded.category_id)
            if category is None:
                # The seed's category commands may still be on their way.
                raise NotYet(CATEGORY, seeded.category_id)
            paths[seeded.category_id] = tuple(category["path"])
    written = []
    for seeded in sorted(command.incidents, key=lambda i: i.registered_at):
        path = paths[seeded.category_id]
        row = await store.insert_seeded(conn, seeded, path)
        if row is None:
            continue  # written before: left as it is
        number = row["number"]
        await write_registered(
            uow,
            row,
            channel=seeded.channel.value,
            at=seeded.registered_at,
            author_id=seeded.requester_id,
            author_role=Role.CLIENT,
        )
        await write_entry(
            uow,
            row,
            kind=EntryKind.ASSIGNMENT,
            visibility=Visibility.INTERNAL,
            text="Assigned: the least-loaded online agent.",
            facts={"line": "assigned", "reason": "the least-loaded online agent"},
            at=seeded.assigned_at,
            assignee_id=seeded.assignee_id,
        )
        timeline: list[SeededEntry | SeededChange] = [*seeded.entries, *seeded.changes]
        for item in sorted(timeline, key=lambda i: i.at):
            if isinstance(item, SeededEntry):
                await write_entry(
                    uow,
                    row,
                    kind=EntryKind.COMMENT,
                    visibility=item.visibility,
                    text=item.text,
                    at=item.at,
                    author_id=item.author_id,
                    author_role=item.author_role,
                    announce=False,
                )
            else:
                current = await store.incident(conn, seeded.incident_id)
                assert current is not None
                await transition(
                    uow,
                    current,
                    item.status,
                    item.at,
                    actor_id=item.actor_id,
                    actor_role=None if item.actor_id is None else _role(seeded, item),
                    assignee_id=seeded.assignee_id,
                    assigned_at=seeded.assigned_at if item.status is Status.ASSIGNED else None,
                    announce=False,
                )
        if seeded.rating is not None:
            await store.rate(
                conn,
                seeded.incident_id,
                score=seeded.rating.score,
                comment=seeded.rating.comment,
                rated_by=seeded.requester_id,
                at=seeded.rating.at,
            )
        written.append(HistoricIncident(**seeded.model_dump(), number=number, category_path=path))
    if written:
        await uow.publish(IncidentHistorySeeded(incidents=tuple(written)))


def _role(seeded: SeededIncident, change: SeededChange) -> Role:
    return Role.CLIENT if change.actor_id == seeded.requester_id else Role.AGENT
