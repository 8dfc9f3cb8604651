"""Assignment latency: incidents are filed through the HTTP API at fixed, rising rates
(open loop: one request every 1/rate seconds whatever the answers do) with every service
running; for each rate it reports p50/p95/p99/max of registered → assigned (intake's
registration time to routing's committed decision, both from routing's records) and of
POST sent → IncidentAssigned seen on the broker.

    python -m tests.bench.routing_assign --rates 50 100 200 300 --duration 10

With --replay every service runs and every incident is real, but the rate at which
routing receives registrations is no longer capped by what the whole desk can file: the
incidents are first filed through the API with routing stopped, their registrations are
held back from routing's queue, and then released to it at each rate, open loop. Routing
assigns at that rate with intake, sla and notify working each assignment (status change,
history entry, the assignee's e-mail) beside it; latency runs from the release of a
registration to routing's decision and to IncidentAssigned seen on the broker.

    python -m tests.bench.routing_assign --replay --rates 50 100 200 300 --duration 10

It starts the five services as processes in a namespace of its own (plus extra routing
instances with --routing-instances), prints a table, writes
bench-results/routing_assign*.json and removes the namespace at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import httpx
from desk_contracts import Envelope
from desk_contracts.enums import Channel, Presence, Priority
from desk_contracts.messages import (
    MAX_CAPACITY,
    IncidentAssigned,
    IncidentRegistered,
    UpsertAgentProfile,
)
from desk_contracts.topology import (
    EVENTS_EXCHANGE,
    SERVICES,
    all_queues,
    consumer_queue,
    exchange_name,
)
from desk_runtime import loop as desk_loop
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    drop_namespace,
    environment_for,
    free_port,
    free_port_block,
    infrastructure,
    new_namespace,
    publish,
    settings_for,
    smtp_server,
    wait_until,
)
from portal_gateway.seed import DEMO_PASSWORD, demo_id

from .common import (
    ADMIN_PASSWORD,
    agents_for,
    cpu_shares,
    latency_percentiles,
    machine_cpu,
    prepare_agents,
)

RESULTS = Path("bench-results")
AGENTS = 10
CATEGORIES = ("fault/software", "order/development", "consultation")
# Requests in flight at most; beyond that the generator falls behind its schedule and
# the achieved rate shows it.
IN_FLIGHT = 256
T = TypeVar("T")


@dataclass
class Step:
    rate: float
    duration: float
    sent_at: dict[str, float] = field(default_factory=dict)
    # Wall-clock send times, to compare with the decision times routing records.
    sent_wall: dict[str, datetime] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0
    max_queue_depth: int = 0


async def watch_assignments(
    settings: DeskSettings, seen: dict[str, float]
) -> aio_pika.abc.AbstractConnection:
    """A probe queue of the benchmark's own on IncidentAssigned."""
    connection = await aio_pika.connect_robust(settings.amqp_url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=1000)
    exchange = await channel.get_exchange(exchange_name(settings.namespace, EVENTS_EXCHANGE))
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, IncidentAssigned.ROUTING_KEY)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        seen.setdefault(json.loads(message.body)["payload"]["incident_id"], time.perf_counter())
        await message.ack()

    await queue.consume(on_message)
    return connection


async def sample_queue(settings: DeskSettings, step: Step, stop: asyncio.Event) -> None:
    """The deepest routing's registration queue got: whether routing kept up."""
    queue = consumer_queue(settings.namespace, "routing", IncidentRegistered)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        while not stop.is_set():
            declared = await channel.declare_queue(queue, passive=True)
            depth = declared.declaration_result.message_count or 0
            step.max_queue_depth = max(step.max_queue_depth, depth)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
    finally:
        await connection.close()


async def post_incident(
    http: httpx.AsyncClient, headers: dict[str, str], n: int, label: str
) -> httpx.Response:
    """File the benchmark's n-th incident through the API (categories in turn)."""
    return await http.post(
        "/api/v1/incidents",
        headers=headers,
        json={
            "title": f"Routing benchmark {label}",
            "category_id": str(demo_id(f"category:{CATEGORIES[n % len(CATEGORIES)]}")),
            "priority": "normal",
        },
    )


async def open_loop(
    step: Step, items: Sequence[T], one: Callable[[T], Awaitable[None]], gate: asyncio.Semaphore
) -> None:
    """Item n leaves at start + n/rate whatever the answers do, unless `gate` (released
    by `one` when it is done) says IN_FLIGHT are pending already."""
    start = time.perf_counter()
    tasks = []
    for n, item in enumerate(items):
        delay = start + n / step.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        tasks.append(asyncio.create_task(one(item)))
    await asyncio.gather(*tasks)
    step.elapsed = time.perf_counter() - start


async def drive(http: httpx.AsyncClient, token: str, step: Step) -> None:
    """Open loop: request n leaves at start + n/rate unless IN_FLIGHT are pending."""
    headers = {"authorization": f"Bearer {token}"}
    gate = asyncio.Semaphore(IN_FLIGHT)
    total = int(step.rate * step.duration)

    async def one(n: int) -> None:
        try:
            sent = time.perf_counter()
            response = await post_incident(http, headers, n, f"{step.rate:g}/s #{n}")
            if response.status_code == 201:
                step.sent_at[response.json()["id"]] = sent
            else:
                step.errors += 1
        except httpx.HTTPError:
            step.errors += 1
        finally:
            gate.release()

    await open_loop(step, range(total), one, gate)


async def start_desk(
    settings: DeskSettings, group: ProcessGroup, routing_instances: int, routing_only: bool
) -> None:
    services = () if routing_only else tuple(s for s in SERVICES if s != "routing")
    for service in services:
        await group.start_service(service)
    await start_routing(
        settings, group, routing_instances, [settings.service_port(s) for s in services]
    )


async def start_routing(
    settings: DeskSettings, group: ProcessGroup, instances: int, also_ready: Sequence[int] = ()
) -> None:
    """Routing (and its extra instances), then wait for every named health port."""
    await group.start_service("routing")
    ports = [*also_ready, settings.service_port("routing")]
    for n in range(2, instances + 1):
        port = free_port()
        ports.append(port)
        await group.start(
            f"routing-{n}", [sys.executable, "-m", "routing"], env={"DESK_HEALTH_PORT": str(port)}
        )
    async with httpx.AsyncClient(timeout=5) as http:

        async def ready() -> bool:
            if group.exited():
                raise RuntimeError(f"{group.exited()} exited at start")
            try:
                answers = [await http.get(f"http://127.0.0.1:{p}/readyz") for p in ports]
            except httpx.TransportError:
                return False
            return all(a.status_code == 200 for a in answers)

        await wait_until(ready, timeout=90, interval=0.3)


async def stop_routing(group: ProcessGroup) -> None:
    for name in [n for n in group.processes if n.startswith("routing")]:
        await group.stop(name)


async def drive_events(settings: DeskSettings, step: Step) -> None:
    """Routing alone: IncidentRegistered published straight to the broker on the same
    open-loop schedule, as intake's outbox relay would."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(exchange_name(settings.namespace, EVENTS_EXCHANGE))
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(n: int) -> None:
            try:
                incident_id = uuid4()
                payload = IncidentRegistered(
                    incident_id=incident_id,
                    number=f"INC-{n:06d}",
                    title="Routing benchmark",
                    category_id=uuid4(),
                    category_path=tuple(CATEGORIES[n % len(CATEGORIES)].split("/")),
                    priority=Priority.NORMAL,
                    channel=Channel.API,
                    requester_id=uuid4(),
                    organization_id=uuid4(),
                    registered_at=datetime.now(UTC),
                )
                envelope = Envelope.wrap(payload, producer="bench")
                sent = time.perf_counter()
                await exchange.publish(
                    aio_pika.Message(
                        envelope.model_dump_json().encode(),
                        message_id=str(envelope.message_id),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=payload.ROUTING_KEY,
                )
                step.sent_at[str(incident_id)] = sent
            except aio_pika.exceptions.AMQPError:
                step.errors += 1
            finally:
                gate.release()

        await open_loop(step, range(int(step.rate * step.duration)), one, gate)
    finally:
        await connection.close()


@dataclass(frozen=True)
class HeldRegistration:
    incident_id: str
    body: bytes
    message_id: str | None
    headers: dict[str, Any]


async def file_incidents(http: httpx.AsyncClient, token: str, count: int) -> int:
    """File `count` incidents through the API as fast as the desk takes them (16 at a
    time); returns how many were refused."""
    headers = {"authorization": f"Bearer {token}"}
    numbers = iter(range(count))
    refused = 0

    async def worker() -> None:
        nonlocal refused
        for n in numbers:
            response = await post_incident(http, headers, n, f"(held) #{n}")
            refused += response.status_code != 201

    await asyncio.gather(*(worker() for _ in range(16)))
    return refused


async def queue_depths(channel: aio_pika.abc.AbstractChannel, namespace: str) -> dict[str, int]:
    depths = {}
    for queue in all_queues(namespace):
        declared = await channel.declare_queue(queue.name, passive=True)
        depths[queue.name] = declared.declaration_result.message_count or 0
    return depths


async def wait_quiet(settings: DeskSettings, skip: str | None, timeout: float = 900) -> None:
    """Until every queue but those of the service `skip` (stopped) is empty, no outbox
    holds anything and notify has nothing left to send, twice in a row a second apart.
    Dead letters are left where they are."""
    connection = await aio_pika.connect(settings.amqp_url)
    databases = {s: await asyncpg.connect(settings.database_url(s)) for s in SERVICES}
    quiet_since = 0
    try:
        channel = await connection.channel()

        async def quiet() -> bool:
            nonlocal quiet_since
            depths = await queue_depths(channel, settings.namespace)
            busy = sum(
                depth
                for name, depth in depths.items()
                if not name.endswith(".dead") and (skip is None or f".{skip}." not in name)
            )
            for service, db in databases.items():
                if service != skip:  # a stopped service's outbox waits for it
                    busy += await db.fetchval("SELECT count(*) FROM outbox")
            busy += await databases["notify"].fetchval(
                "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"
            )
            quiet_since = quiet_since + 1 if busy == 0 else 0
            return quiet_since >= 2

        await wait_until(quiet, timeout=timeout, interval=1.0)
    finally:
        for db in databases.values():
            await db.close()
        await connection.close()


async def hold_registrations(settings: DeskSettings, count: int) -> list[HeldRegistration]:
    """Take the registrations routing has not consumed (it is stopped) off its queue."""
    queue_name = consumer_queue(settings.namespace, "routing", IncidentRegistered)
    connection = await aio_pika.connect(settings.amqp_url)
    held: list[HeldRegistration] = []
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        while len(held) < count:
            message = await queue.get(no_ack=False, fail=False, timeout=10)
            if message is None:
                break
            body = json.loads(message.body)
            held.append(
                HeldRegistration(
                    incident_id=body["payload"]["incident_id"],
                    body=message.body,
                    message_id=message.message_id,
                    headers=dict(message.headers or {}),
                )
            )
            await message.ack()
    finally:
        await connection.close()
    return held


async def release_registrations(
    settings: DeskSettings, held: list[HeldRegistration], step: Step
) -> None:
    """Give the held registrations back to routing's queue, one every 1/rate seconds."""
    queue_name = consumer_queue(settings.namespace, "routing", IncidentRegistered)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(registration: HeldRegistration) -> None:
            try:
                sent = time.perf_counter()
                wall = datetime.now(UTC)
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        registration.body,
                        message_id=registration.message_id,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        headers=registration.headers,
                    ),
                    routing_key=queue_name,
                )
                step.sent_at[registration.incident_id] = sent
                step.sent_wall[registration.incident_id] = wall
            except aio_pika.exceptions.AMQPError:
                step.errors += 1
            finally:
                gate.release()

        await open_loop(step, held, one, gate)
    finally:
        await connection.close()


async def downstream_depth(settings: DeskSettings) -> int:
    """Messages waiting in every queue but routing's: what the rest of the desk has
    not got to yet."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        depths = await queue_depths(await connection.channel(), settings.namespace)
    finally:
        await connection.close()
    return sum(depth for name, depth in depths.items() if ".routing." not in name)


async def prepare_held(
    settings: DeskSettings,
    group: ProcessGroup,
    http: httpx.AsyncClient,
    token: str,
    args: argparse.Namespace,
) -> list[HeldRegistration]:
    """Every step's incidents filed with routing stopped, the rest of the desk done with
    them, their registrations taken off routing's queue; then routing back, caught up."""
    total = sum(int(rate * args.duration) for rate in args.rates)
    await stop_routing(group)
    started = time.perf_counter()
    refused = await file_incidents(http, token, total)
    filed = time.perf_counter() - started
    await wait_quiet(settings, skip="routing")
    held = await hold_registrations(settings, total - refused)
    print(
        f"# {total - refused} incidents filed in {filed:.0f} s "
        f"({(total - refused) / filed:.0f}/s, {refused} refused), {len(held)} registrations "
        "held back from routing",
        flush=True,
    )
    await start_routing(settings, group, args.routing_instances)
    await wait_quiet(settings, skip=None)
    # The burst leaves work behind that no queue shows (checkpoints, vacuum, the queues'
    # own compaction): the first step starts from a machine at rest.
    await asyncio.sleep(args.calm)
    return held


def agent_count(args: argparse.Namespace) -> int:
    """Enough agents for every incident of the run, and never fewer than ten."""
    return agents_for(sum(int(rate * args.duration) for rate in args.rates), AGENTS)


async def prepare_bare_agents(
    settings: DeskSettings, routing: asyncpg.Connection, count: int
) -> None:
    """Routing alone has no gateway: the profiles arrive as the command the gateway sends."""
    for n in range(count):
        await publish(
            settings,
            Envelope.wrap(
                UpsertAgentProfile(
                    agent_id=demo_id(f"bench:agent:{n}"),
                    skills=((),),
                    capacity=MAX_CAPACITY,
                    presence=Presence.ONLINE,
                ),
                producer="bench",
            ),
        )
    await wait_until(
        lambda: routing.fetchval("SELECT count(*) = $1 FROM agents", count),
        timeout=30,
        interval=0.2,
    )


async def login_and_warm_up(http: httpx.AsyncClient) -> str:
    response = await http.post(
        "/api/v1/auth/token", json={"username": "alice", "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]

    async def categories_known() -> bool:
        for category in CATEGORIES:
            answer = await http.post(
                "/api/v1/incidents",
                headers={"authorization": f"Bearer {token}"},
                json={"title": "warm-up", "category_id": str(demo_id(f"category:{category}"))},
            )
            if answer.status_code != 201:
                return False
        return True

    await wait_until(categories_known, timeout=30, interval=0.2)
    return token


async def measure(
    step: Step, routing: asyncpg.Connection, seen: dict[str, float], settle: float
) -> dict[str, Any]:
    ids = [UUID(i) for i in step.sent_at]

    async def all_assigned() -> bool:
        count = await routing.fetchval(
            "SELECT count(*) FROM assignments WHERE incident_id = ANY($1)", ids
        )
        return bool(count == len(ids)) and all(i in seen for i in step.sent_at)

    with contextlib.suppress(TimeoutError):
        await wait_until(all_assigned, timeout=settle, interval=0.2)
    rows = await routing.fetch(
        "SELECT incident_id, registered_at, assigned_at FROM assignments "
        "WHERE incident_id = ANY($1)",
        ids,
    )
    # Held registrations were registered long before: their clock starts at release.
    decided = [
        _seconds(
            row["assigned_at"],
            step.sent_wall.get(str(row["incident_id"]), row["registered_at"]),
        )
        for row in rows
    ]
    observed = [seen[i] - sent for i, sent in step.sent_at.items() if i in seen]
    return {
        "target_rate": step.rate,
        "achieved_rate": round(len(step.sent_at) / step.elapsed, 1) if step.elapsed else 0,
        "incidents": len(step.sent_at),
        "http_errors": step.errors,
        "assigned": len(rows),
        "registered_to_assigned_ms": latency_percentiles(decided),
        "post_to_assigned_event_ms": latency_percentiles(observed),
    }


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with infrastructure() as infra, smtp_server(keep=False) as (smtp_port, _):
        settings = settings_for(
            infra,
            new_namespace("rb"),
            http_port=free_port_block(len(SERVICES)),
            smtp_port=smtp_port,
            demo=True,
            demo_month=False,
            admin_password=ADMIN_PASSWORD,
            log_level="WARNING",
        )
        log = (RESULTS / "routing_assign-services.log").open("w")
        group = ProcessGroup(env=environment_for(settings), output=log)
        seen: dict[str, float] = {}
        probe = None
        routing = None
        steps: list[dict[str, Any]] = []
        try:
            await start_desk(settings, group, args.routing_instances, args.routing_only)
            routing = await asyncpg.connect(settings.database_url("routing"))
            probe = await watch_assignments(settings, seen)
            base = f"http://127.0.0.1:{settings.http_port}"
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
                if args.routing_only:
                    await prepare_bare_agents(settings, routing, agent_count(args))
                else:
                    await prepare_agents(http, routing, agent_count(args))
                    token = await login_and_warm_up(http)
                held: list[HeldRegistration] = []
                if args.replay:
                    held = await prepare_held(settings, group, http, token, args)
                for rate in args.rates:
                    step = Step(rate=rate, duration=args.duration)
                    machine_before = machine_cpu(group)
                    step_started = time.perf_counter()
                    stop = asyncio.Event()
                    sampler = asyncio.create_task(sample_queue(settings, step, stop))
                    if args.routing_only:
                        await drive_events(settings, step)
                    elif args.replay:
                        count = int(rate * args.duration)
                        await release_registrations(settings, held[:count], step)
                        held = held[count:]
                    else:
                        await drive(http, token, step)
                    result = await measure(step, routing, seen, args.settle)
                    if args.replay:
                        result["downstream_queued_after"] = await downstream_depth(settings)
                    stop.set()
                    await sampler
                    result["routing_queue_max_depth"] = step.max_queue_depth
                    machine_after = machine_cpu(group)
                    # CPU per incident does not depend on what else runs on the machine.
                    used = machine_after.get("routing", 0) - machine_before.get("routing", 0)
                    result["routing_cpu_ms_per_incident"] = (
                        round(used * 1000 / len(step.sent_at), 2) if step.sent_at else None
                    )
                    # Where the machine's CPU went while the step ran and settled.
                    spent = time.perf_counter() - step_started
                    result["cpu_share_by_process"] = cpu_shares(
                        machine_before, machine_after, spent
                    )
                    # Other work on the machine skews every number; say how busy it was.
                    result["load_average_1m"] = round(os.getloadavg()[0], 2)
                    steps.append(result)
                    print_row(result)
                    print(f"#   CPU (cores) {result['cpu_share_by_process']}", flush=True)
                    await asyncio.sleep(args.pause)
        finally:
            if probe is not None:
                await probe.close()
            if routing is not None:
                await routing.close()
            await group.stop_all()
            log.close()
            await drop_namespace(settings)
    return {
        "benchmark": "routing assignment latency",
        "source": (
            "broker (routing alone)"
            if args.routing_only
            else "held registrations released to routing (every service)"
            if args.replay
            else "HTTP API (every service)"
        ),
        "routing_instances": args.routing_instances,
        "agents": agent_count(args),
        "duration_per_rate_s": args.duration,
        "steps": steps,
    }


HEADER = (
    f"{'rate/s':>7}{'sent/s':>8}{'n':>6}{'err':>5}{'asgn':>6}{'queue':>6}{'load':>6}"
    f"{'cpu ms':>7} | "
    f"registered→assigned ms {'p50':>7}{'p95':>8}{'p99':>8}{'max':>8} | "
    f"POST→event ms {'p50':>8}{'p99':>8}"
)


def print_row(step: dict[str, Any]) -> None:
    def cell(value: float | None, width: int) -> str:
        return f"{'-' if value is None else value:>{width}}"

    decided = step["registered_to_assigned_ms"]
    observed = step["post_to_assigned_event_ms"]
    print(
        f"{step['target_rate']:>7g}{step['achieved_rate']:>8}{step['incidents']:>6}"
        f"{step['http_errors']:>5}{step['assigned']:>6}{step['routing_queue_max_depth']:>6}"
        f"{step['load_average_1m']:>6}{cell(step['routing_cpu_ms_per_incident'], 7)} | "
        f"{'':22}{cell(decided['p50'], 8)}{cell(decided['p95'], 8)}{cell(decided['p99'], 8)}"
        f"{cell(decided['max'], 8)} | {'':13}{cell(observed['p50'], 8)}"
        f"{cell(observed['p99'], 8)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 100, 200, 300])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between rates")
    parser.add_argument(
        "--calm", type=float, default=15.0, help="seconds of rest after the --replay set-up"
    )
    parser.add_argument(
        "--settle", type=float, default=60.0, help="seconds to wait for a rate's assignments"
    )
    parser.add_argument("--routing-instances", type=int, default=1, choices=range(1, 5))
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--routing-only",
        action="store_true",
        help="start routing alone and publish IncidentRegistered to the broker directly",
    )
    source.add_argument(
        "--replay",
        action="store_true",
        help="every service running; real incidents' registrations held back, then "
        "released to routing at each rate",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    print(HEADER, flush=True)
    result = desk_loop.run(run(args))
    name = "alone" if args.routing_only else "replay" if args.replay else ""
    path = RESULTS / f"routing_assign{'_' + name if name else ''}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nWritten to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
