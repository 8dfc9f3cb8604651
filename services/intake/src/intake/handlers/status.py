"""Status changes by people, the requester's rating, and the system's auto-close."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from desk_contracts import ErrorItem, utc_now
from desk_contracts.enums import EntryKind, Status, Visibility
from desk_contracts.messages import ChangeStatus, IncidentRated, IncidentView, RateIncident
from desk_runtime.errors import Conflict, Forbidden, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import Service

from ..domain import lifecycle
from ..history import transition, write_entry
from ..store import incidents as store
from ..views import can_see, fresh_view, view_principal

handlers = Handlers()
log = get_logger(__name__)


def _illegal(error: lifecycle.IllegalTransition) -> Conflict:
    return Conflict(
        str(error),
        errors=[ErrorItem(field="status", message=str(error))],
        data={"allowed": [s.value for s in error.allowed]},
    )


@handlers.answers(ChangeStatus)
async def change_status(query: ChangeStatus, service: Service) -> IncidentView:
    """A status change by staff, or by the requester on a resolved incident."""
    principal = view_principal(query.principal)
    reopen_window = timedelta(days=service.settings.reopen_window_days)
    async with service.transaction() as uow:
        row = await store.incident_for_update(uow.conn, query.incident_id)
        if row is None or not can_see(principal, row):
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
        await transition(
            uow,
            row,
            query.status,
            now,
            actor_id=principal.user_id,
            actor_role=principal.role,
            reason=query.reason,
        )
        return await fresh_view(uow.conn, row["id"], principal)


@handlers.answers(RateIncident)
async def rate_incident(query: RateIncident, service: Service) -> IncidentView:
    """The requester rates a resolved (or closed) incident; a new rating replaces it."""
    principal = view_principal(query.principal)
    async with service.transaction() as uow:
        row = await store.incident_for_update(uow.conn, query.incident_id)
        if row is None or not can_see(principal, row):
            raise NotFound("incident not found")
        if row["requester_id"] != principal.user_id:
            raise Forbidden("only the requester rates an incident")
        if Status(row["status"]) not in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(
                "an incident is rated after its resolution",
                errors=[ErrorItem(field="score", message="the incident is not resolved yet")],
            )
        now = utc_now()
        comment = query.comment.strip()
        await store.rate(
            uow.conn,
            row["id"],
            score=query.score,
            comment=comment,
            rated_by=principal.user_id,
            at=now,
        )
        text = f"Rated {query.score}/5."
        facts = {"line": "rated", "score": str(query.score)}
        if comment:
            text += f" {comment}"
            facts["comment"] = comment
        await write_entry(
            uow,
            row,
            kind=EntryKind.SYSTEM,
            visibility=Visibility.PUBLIC,
            text=text,
            facts=facts,
            at=now,
            author_id=principal.user_id,
            author_role=principal.role,
        )
        await uow.publish(
            IncidentRated(
                incident_id=row["id"],
                number=row["number"],
                score=query.score,
                comment=comment,
                rated_at=now,
                requester_id=row["requester_id"],
                organization_id=row["organization_id"],
                assignee_id=row["assignee_id"],
                category_path=tuple(row["category_path"]),
                channel=row["channel"],
            )
        )
        return await fresh_view(uow.conn, row["id"], principal)


@handlers.runs
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
        rows = await store.claim_resolved_before(uow.conn, now - after, batch)
        for row in rows:
            if lifecycle.due_for_auto_close(Status.RESOLVED, row["resolved_at"], now, after):
                await transition(
                    uow,
                    row,
                    Status.CLOSED,
                    now,
                    reason=f"Closed automatically {service.settings.auto_close_days:g} days "
                    "after resolution.",
                )
        return len(rows)
