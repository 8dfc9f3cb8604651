"""Operations: loads recounted at every start, reconciliation with intake on demand, and
the gauges /metrics shows."""

from __future__ import annotations

from desk_contracts.messages import IncidentStates, LoadsReconciled, ReconcileLoads
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import Service

from .. import assignment, store
from ..arrivals import wake_assigner
from ..metrics import ROUTING_AGENT_CAPACITY, ROUTING_AGENT_LOAD, ROUTING_BACKLOG
from ..reconcile import reconcile_with_intake, reconcile_with_retries

handlers = Handlers()
log = get_logger(__name__)

# How often the gauges are read from routing's own tables: one small query every few
# seconds instead of work on every assignment.
GAUGES_SECONDS = 2.0


@handlers.on_startup
async def reconcile_at_start(service: Service) -> None:
    """Loads are recounted from the assignments before consuming anything."""
    async with service.pool.acquire() as conn:
        await assignment.reconcile_loads(conn)


@handlers.answers(ReconcileLoads)
async def reconcile(request: ReconcileLoads, service: Service) -> LoadsReconciled:
    """Operators: correct assignments, waiting incidents and loads from intake's
    incidents (what is open, whom intake records), then drain the backlog."""

    async def once() -> LoadsReconciled:
        async with service.transaction() as uow:
            return await reconcile_with_intake(
                uow, lambda states: service.ask(states, IncidentStates)
            )

    result = await reconcile_with_retries(once)
    if result.arrivals_added:
        wake_assigner(service)
    log.info("reconciled_by", actor_id=str(request.actor_id) if request.actor_id else None)
    return result


@handlers.every(GAUGES_SECONDS)
async def refresh_gauges(service: Service) -> None:
    """Backlog size, each agent's load and capacity."""
    for agent in await store.loads_and_capacities(service.pool):
        ROUTING_AGENT_LOAD.labels(str(agent["agent_id"])).set(agent["load"])
        ROUTING_AGENT_CAPACITY.labels(str(agent["agent_id"])).set(agent["capacity"])
    ROUTING_BACKLOG.set(await store.backlog_size(service.pool))
