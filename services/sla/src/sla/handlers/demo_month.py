"""The demo month (DESK_DEMO=1): the clocks of the past incidents intake seeded, run
through the same steps as live ones in one transaction — registration (contract, due
times, quota count), assignment, answers and status changes in their order, the rating —
so the statistics, breaches and satisfaction included, are sla's own. Every seeded
incident ends closed, so the timers armed on the way are gone again before the commit:
none fires, nothing is sent."""

from __future__ import annotations

from uuid import uuid5

from desk_contracts.enums import EntryKind
from desk_contracts.messages import (
    EntryAdded,
    HistoricIncident,
    IncidentHistorySeeded,
    IncidentRated,
    IncidentStatusChanged,
    SeededChange,
    SeededEntry,
)
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import clocks, pausing, quotas, responses
from ..contracts import version_in_force
from ..store import clocks as store
from ..store import reports

handlers = Handlers()


@handlers.handles(IncidentHistorySeeded)
async def on_history_seeded(event: IncidentHistorySeeded, uow: UnitOfWork) -> None:
    for incident in event.incidents:
        if await store.load_clock(uow.conn, incident.incident_id) is not None:
            continue  # kept before
        await _replay(uow, incident)


async def _replay(uow: UnitOfWork, incident: HistoricIncident) -> None:
    registered = incident.registration()
    contract = version_in_force(
        await quotas.versions(uow, incident.organization_id), incident.registered_at
    )
    starts_at = await quotas.clock_start_for(uow, contract, registered)
    await clocks.register_clock(
        uow, registered, contract, starts_at, computed_at=incident.registered_at
    )
    await quotas.count_registration(uow, registered)
    await store.assign(uow.conn, incident.incident_id, incident.assignee_id, incident.assigned_at)
    timeline: list[SeededEntry | SeededChange] = [*incident.entries, *incident.changes]
    for n, item in enumerate(sorted(timeline, key=lambda i: i.at)):
        if isinstance(item, SeededEntry):
            await responses.follow_entry(
                uow,
                EntryAdded(
                    incident_id=incident.incident_id,
                    number=incident.number,
                    entry_id=uuid5(incident.incident_id, str(n)),
                    kind=EntryKind.COMMENT,
                    visibility=item.visibility,
                    author_id=item.author_id,
                    author_role=item.author_role,
                    text=item.text,
                    created_at=item.at,
                    requester_id=incident.requester_id,
                    organization_id=incident.organization_id,
                    assignee_id=incident.assignee_id,
                ),
            )
        else:
            await pausing.follow_status(
                uow,
                IncidentStatusChanged(
                    incident_id=incident.incident_id,
                    number=incident.number,
                    previous=item.previous,
                    status=item.status,
                    changed_at=item.at,
                    actor_id=item.actor_id,
                    assignee_id=incident.assignee_id,
                    requester_id=incident.requester_id,
                    category_path=incident.category_path,
                    priority=incident.priority,
                ),
            )
    if incident.rating is not None:
        await reports.save_rating(
            uow.conn,
            IncidentRated(
                incident_id=incident.incident_id,
                number=incident.number,
                score=incident.rating.score,
                comment=incident.rating.comment,
                rated_at=incident.rating.at,
                requester_id=incident.requester_id,
                organization_id=incident.organization_id,
                assignee_id=incident.assignee_id,
                category_path=incident.category_path,
                channel=incident.channel,
            ),
        )
