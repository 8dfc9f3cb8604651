"""The demo month (DESK_DEMO=1): knowledge's facts of the past incidents intake seeded
— the request in its category, its public replies and its resolution — as the live
handlers keep them, so the report's requests and first-contact resolutions have a
month behind them."""

from __future__ import annotations

from desk_contracts.enums import Status, Visibility
from desk_contracts.messages import IncidentHistorySeeded
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from ..domain import fcr
from ..store import facts
from .facts import INCIDENT

handlers = Handlers()


@handlers.handles(IncidentHistorySeeded)
async def on_history_seeded(event: IncidentHistorySeeded, uow: UnitOfWork) -> None:
    for incident in event.incidents:
        if await facts.incident(uow.conn, incident.incident_id) is not None:
            continue  # kept before
        await facts.save_incident(
            uow.conn,
            incident.registration(),
        )
        for entry in incident.entries:
            if entry.visibility is Visibility.PUBLIC:
                kind = fcr.STAFF_REPLY if entry.author_role.is_staff else fcr.CLIENT_REPLY
                await facts.add_activity(
                    uow.conn, incident.incident_id, entry.at, kind, entry.author_id
                )
        for change in incident.changes:
            if change.status is Status.RESOLVED:
                await facts.add_activity(
                    uow.conn, incident.incident_id, change.at, fcr.RESOLVED, change.actor_id
                )
        uow.arrived(INCIDENT, incident.incident_id)
