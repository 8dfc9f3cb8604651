"""What the benchmarks share: latency percentiles in the reports' shape, and agents
with room for a whole run."""

from __future__ import annotations

import statistics
from uuid import UUID

import asyncpg
import httpx
from desk_runtime.testing import wait_until
from portal_gateway.seed import demo_id

# The most open incidents one agent's profile may hold.
MAX_CAPACITY = 1000


def latency_percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds, from samples in seconds."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)
    q = (
        [ordered[0]] * 99
        if len(ordered) == 1
        else statistics.quantiles(ordered, n=100, method="inclusive")
    )
    return {
        "p50": round(q[49] * 1000, 1),
        "p95": round(q[94] * 1000, 1),
        "p99": round(q[98] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


async def prepare_agents(
    http: httpx.AsyncClient, routing: asyncpg.Connection, admin_password: str, count: int
) -> None:
    """`count` online agents covering everything, each with the largest capacity, set up
    as an admin would: staff users (the demo's anna and boris, then new ones), then their
    profiles."""
    response = await http.post(
        "/api/v1/auth/token", json={"username": "admin", "password": admin_password}
    )
    response.raise_for_status()
    headers = {"authorization": f"Bearer {response.json()['access_token']}"}
    agents = [demo_id("user:anna"), demo_id("user:boris")]
    for n in range(count - len(agents)):
        user = await http.post(
            "/api/v1/users",
            headers=headers,
            json={
                "username": f"bench-agent-{n}",
                "password": "bench-agent-password",
                "display_name": f"Bench agent {n}",
                "email": f"bench-agent-{n}@example.com",
                "role": "agent",
            },
        )
        user.raise_for_status()
        agents.append(UUID(user.json()["id"]))
    # The demo seed sends anna's and boris's profiles through the broker; ours come after.
    await wait_until(
        lambda: routing.fetchval("SELECT count(*) = 2 FROM agents"), timeout=30, interval=0.2
    )
    for agent_id in agents:
        answer = await http.put(
            f"/api/v1/agents/{agent_id}",
            headers=headers,
            json={
                "skills": [[]],
                "capacity": MAX_CAPACITY,
                "presence": "online",
                "group_head_id": str(demo_id("user:helen")),
            },
        )
        answer.raise_for_status()
