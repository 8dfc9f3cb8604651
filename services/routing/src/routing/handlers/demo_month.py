"""The demo month (DESK_DEMO=1): routing's staffing facts of the past incidents intake
seeded (arrival, first assignment, first public answer, resolution and worked time, as
the live handlers keep them) and the agents' past online stretches. The incidents are
closed: they weigh on nobody's load and wait in no backlog."""

from __future__ import annotations

from desk_contracts.enums import Status, Visibility
from desk_contracts.messages import IncidentHistorySeeded, SeedPresenceHistory
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import staffing_store as store
from .. import states_store
from .staffing import STAFFED

handlers = Handlers()


@handlers.handles(IncidentHistorySeeded)
async def on_history_seeded(event: IncidentHistorySeeded, uow: UnitOfWork) -> None:
    for incident in event.incidents:
        answers = [
            entry.at
            for entry in incident.entries
            if entry.visibility is Visibility.PUBLIC and entry.author_role.is_staff
        ]
        resolved = [c.at for c in incident.changes if c.status is Status.RESOLVED]
        await store.record_history(
            uow.conn,
            incident_id=incident.incident_id,
            channel=incident.channel.value,
            organization_id=incident.organization_id,
            number=incident.number,
            title=incident.title,
            registered_at=incident.registered_at,
            assigned_at=incident.assigned_at,
            first_response_at=min(answers) if answers else None,
            resolved_at=max(resolved) if resolved else None,
        )
        last = max(incident.changes, key=lambda c: c.at)
        await states_store.note_state(
            uow.conn, incident.incident_id, is_open=last.status.is_open, at=last.at
        )
        # Its due times (sla's DeadlinesSet) may have come first, parked.
        uow.arrived(STAFFED, incident.incident_id)


@handlers.handles(SeedPresenceHistory)
async def on_presence_history(command: SeedPresenceHistory, uow: UnitOfWork) -> None:
    await store.record_stretches(
        uow.conn, [(s.agent_id, s.started_at, s.ended_at) for s in command.stretches]
    )
