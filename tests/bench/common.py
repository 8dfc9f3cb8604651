"""What the benchmarks share: latency percentiles in the reports' shape, agents with
room for a whole run, and where the machine's CPU went."""

from __future__ import annotations

import contextlib
import os
import statistics
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO
from uuid import UUID

import asyncpg
import httpx
from desk_contracts.messages import MAX_CAPACITY
from desk_contracts.topology import SERVICES
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    drop_namespace,
    environment_for,
    free_port_block,
    infrastructure,
    new_namespace,
    settings_for,
    smtp_server,
    wait_until,
)
from portal_gateway.seed import demo_id

# The admin of every benchmark's desk.
ADMIN_PASSWORD = "bench-admin-password"


def agents_for(incidents: int, at_least: int) -> int:
    """How many agents at the largest capacity hold `incidents` (a full desk would
    measure the backlog, not the assignment), and never fewer than `at_least`."""
    return max(at_least, -(-incidents // MAX_CAPACITY))


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


async def prepare_agents(http: httpx.AsyncClient, routing: asyncpg.Connection, count: int) -> None:
    """`count` online agents covering everything, each with the largest capacity, set up
    as an admin would: staff users (the demo's anna and boris, then new ones), then their
    profiles."""
    response = await http.post(
        "/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
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


def machine_cpu(group: ProcessGroup) -> dict[str, float]:
    """CPU seconds used so far by the desk's processes (by name), PostgreSQL's backends,
    RabbitMQ and this benchmark (its load generator and SMTP server), from Linux /proc
    (each process's own time and that of its children that have exited)."""
    names = {
        managed.process.pid: _service_of(name)
        for name, managed in group.processes.items()
        if managed.process is not None
    }
    names[os.getpid()] = "benchmark"
    totals: dict[str, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            head, fields = (entry / "stat").read_text().rsplit(")", 1)
            command = head.split("(", 1)[1]
            pid = int(entry.name)
            name = names.get(pid) or {"postgres": "postgres", "beam.smp": "rabbitmq"}.get(command)
            if name is not None:
                # Own and reaped children's time: a PostgreSQL backend that exits
                # between the readings hands its time on to the postmaster.
                used = sum(int(value) for value in fields.split()[11:15])
                totals[name] = totals.get(name, 0.0) + used / ticks
    return totals


def _service_of(process: str) -> str:
    """The service a process is an instance of: `routing-2` and `routing` are routing."""
    service, _, n = process.rpartition("-")
    return service if service and n.isdigit() else process


def cpu_shares(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    """Cores each process used on average between two `machine_cpu` readings."""
    return {
        name: round((after.get(name, 0) - used) / seconds, 2)
        for name, used in sorted(before.items())
    }


@contextlib.asynccontextmanager
async def demo_desk(log: IO[str]) -> AsyncIterator[tuple[DeskSettings, str]]:
    """A whole demo desk as processes in a namespace of its own, ready on every service;
    (its settings, the gateway's base URL). Stopped and removed afterwards."""
    with infrastructure() as infra, smtp_server(keep=False) as (smtp_port, _):
        settings = settings_for(
            infra,
            new_namespace("b"),
            http_port=free_port_block(len(SERVICES)),
            smtp_port=smtp_port,
            demo=True,
            demo_month=False,
            admin_password="bench-admin-password",
            log_level="WARNING",
            blob_dir=str(Path("var") / "bench-blobs"),
        )
        group = ProcessGroup(env=environment_for(settings), output=log)
        try:
            for service in SERVICES:
                await group.start_service(service)

            async def ready() -> bool:
                async with httpx.AsyncClient(timeout=5) as http:
                    with contextlib.suppress(httpx.TransportError):
                        checks = [
                            await http.get(f"http://127.0.0.1:{settings.service_port(s)}/readyz")
                            for s in SERVICES
                        ]
                        return all(c.status_code == 200 for c in checks)
                return False

            await wait_until(ready, timeout=90, interval=0.3)
            yield settings, f"http://127.0.0.1:{settings.http_port}"
        finally:
            await group.stop_all()
            await drop_namespace(settings)
