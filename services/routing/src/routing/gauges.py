"""Keeps the routing gauges (backlog size, each agent's load and capacity) current for
/metrics: read from routing's own tables every few seconds, which costs one small query
instead of work on every assignment."""

from __future__ import annotations

from desk_runtime.service import Service

from .metrics import ROUTING_AGENT_CAPACITY, ROUTING_AGENT_LOAD, ROUTING_BACKLOG

REFRESH_SECONDS = 2.0


async def refresh_gauges(service: Service) -> None:
    agents = await service.pool.fetch("SELECT agent_id, load, capacity FROM agents")
    for agent in agents:
        ROUTING_AGENT_LOAD.labels(str(agent["agent_id"])).set(agent["load"])
        ROUTING_AGENT_CAPACITY.labels(str(agent["agent_id"])).set(agent["capacity"])
    ROUTING_BACKLOG.set(await service.pool.fetchval("SELECT count(*) FROM backlog"))
