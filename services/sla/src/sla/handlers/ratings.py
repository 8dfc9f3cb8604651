"""Satisfaction (SPEC §12): the requester's rating kept beside the incident's clocks, so
the reports give it per channel, agent, category and package, and the heads' board the
low ones; a reopen takes it away."""

from __future__ import annotations

from desk_contracts.enums import Status
from desk_contracts.messages import (
    IncidentRated,
    IncidentStatusChanged,
    ListLowRatings,
    LowRatings,
    LowRatingView,
)
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from ..store import reports as store

handlers = Handlers()


@handlers.handles(IncidentRated)
async def on_rated(event: IncidentRated, uow: UnitOfWork) -> None:
    """The latest rating counts (an older one arriving late changes nothing)."""
    await store.save_rating(uow.conn, event)


@handlers.handles(IncidentStatusChanged)
async def on_reopened(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """A reopened incident's rating (given before the reopen) no longer counts."""
    if event.status is Status.REOPENED:
        await store.drop_rating(uow.conn, event.incident_id, event.changed_at)


@handlers.answers(ListLowRatings)
async def answer_low_ratings(request: ListLowRatings, service: Service) -> LowRatings:
    """The heads' board: the latest ratings of 1–2."""
    rows = await store.low_ratings(service.pool, request.limit)
    return LowRatings(
        items=tuple(
            LowRatingView(
                incident_id=row["incident_id"],
                number=row["number"],
                score=row["score"],
                rated_at=row["rated_at"],
                organization_id=row["organization_id"],
                assignee_id=row["assignee_id"],
            )
            for row in rows
        )
    )
