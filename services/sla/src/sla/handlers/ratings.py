"""Satisfaction (SPEC §12): the requester's rating kept beside the incident's clocks, so
the reports give it per channel, agent, category and package; a reopen takes it away."""

from __future__ import annotations

from desk_contracts.enums import Status
from desk_contracts.messages import IncidentRated, IncidentStatusChanged
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from ..store import reports as store

handlers = Handlers()


@handlers.handles(IncidentRated)
async def on_rated(event: IncidentRated, uow: UnitOfWork) -> None:
    """The latest rating counts (an older one arriving late changes nothing)."""
    await store.save_rating(uow.conn, event.incident_id, event.score, event.rated_at)


@handlers.handles(IncidentStatusChanged)
async def on_reopened(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """A reopened incident's rating (given before the reopen) no longer counts."""
    if event.status is Status.REOPENED:
        await store.drop_rating(uow.conn, event.incident_id, event.changed_at)
