"""An incident's life as sla follows it: registration starts its clocks, status changes
pause and resume them, answers stop them, a reclassification recomputes them, the
assignee is kept for the statistics; and the incident's deadlines as shown."""

from __future__ import annotations

from desk_contracts.messages import (
    EntryAdded,
    GetIncidentSla,
    IncidentAssigned,
    IncidentReclassified,
    IncidentRegistered,
    IncidentSla,
    IncidentStatusChanged,
)
from desk_runtime.errors import NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from .. import clocks, pausing, quotas, responses, views
from ..contracts import contract_versions_for, version_in_force
from ..store import clocks as store

handlers = Handlers()


@handlers.handles(IncidentRegistered)
async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """Picks the contract version and the most specific target, computes both due
    times in business time, keeps the protocol and arms the timers."""
    # Registrations handled together mostly share an organization: one read each.
    versions = await uow.remember(
        ("contract", event.organization_id),
        lambda: contract_versions_for(uow.conn, event.organization_id),
    )
    # The version in force when the incident was registered, not when sla handles it.
    contract = version_in_force(versions, event.registered_at)
    starts_at = await quotas.clock_start_for(uow, contract, event)
    await clocks.register_clock(uow, event, contract, starts_at)


@handlers.handles(IncidentStatusChanged)
async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
    """Waiting on the client stops the clocks (client-caused delay); resolving stops
    them until a reopen; leaving either state resumes them, moving the due times, in
    whatever order the changes arrive."""
    await pausing.follow_status(uow, event)


@handlers.handles(EntryAdded)
async def on_entry_added(event: EntryAdded, uow: UnitOfWork) -> None:
    """The first public staff reply stops the first-response clock; later, a public
    client entry starts the next-reply clock and the next public staff entry stops it."""
    await responses.follow_entry(uow, event)


@handlers.handles(IncidentReclassified)
async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
    """A new category or priority: the deadlines are recomputed from registration."""
    await store.require_clock(uow.conn, event.incident_id)
    await store.reclassify(
        uow.conn, event.incident_id, event.category_id, event.category_path, event.priority.value
    )
    await clocks.refresh(
        uow, event.incident_id, "reclassified", announce=True, settle_breaches=False
    )


@handlers.handles(IncidentAssigned)
async def on_assigned(event: IncidentAssigned, uow: UnitOfWork) -> None:
    """Keeps the assignee for the statistics per agent; a new incident is now
    `assigned` (intake announces no separate status change for that). Of two
    assignments the later one stands, whichever arrives last; one that overtook its
    incident's registration waits for it, parked."""
    if await store.assign(uow.conn, event.incident_id, event.agent_id, event.assigned_at):
        return
    # Not registered yet, or registered just after the update looked: try again
    # once it is (an assignment overtaken by a later one is simply moot).
    if not await store.assigned_after(uow.conn, event.incident_id, event.assigned_at):
        raise NotYet(store.INCIDENT, event.incident_id)


@handlers.answers(GetIncidentSla)
async def incident_sla(request: GetIncidentSla, service: Service) -> IncidentSla:
    """Due times, clocks, pauses and the protocol of one incident."""
    # One snapshot: the clocks, the timers and the pauses as one moment saw them (a
    # timer read as fired beside a clock not yet marked breached confused readers).
    async with (
        service.pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        return await views.incident_sla(conn, request)
