"""The demo month (DESK_DEMO=1): the past incidents intake seeded are known here as
facts (requester, assignee, final status), so what other services say of them (their due
times) applies; none of them queues a delivery: what happened a month ago is not news,
and the demo's mail sink gets no flood."""

from __future__ import annotations

from desk_contracts.messages import IncidentHistorySeeded
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import store

handlers = Handlers()


@handlers.handles(IncidentHistorySeeded)
async def on_history_seeded(event: IncidentHistorySeeded, uow: UnitOfWork) -> None:
    for incident in event.incidents:
        await store.save_incident(
            uow.conn,
            incident.registration(),
        )
        last = max(incident.changes, key=lambda change: change.at)
        await store.change_status(uow.conn, incident.incident_id, last.status.value, last.at)
        await store.change_incident(
            uow.conn, incident.incident_id, "assignee_id = $2", incident.assignee_id
        )
        # Its due times (sla's DeadlinesSet) may have come first, parked.
        uow.arrived(store.INCIDENT, incident.incident_id)
