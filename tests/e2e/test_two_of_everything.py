"""Two instances of every service, the gateway included (behind a round-robin proxy),
on the same databases and broker, under load from several clients (SPEC §9's "more
consumers per queue"): nothing is doubled or lost. Each incident is filed and assigned
once, each SLA timer fires once, each mail goes once to its recipient (matched by
Message-ID in the mail server), and no agent ever holds more than their capacity, while
the two routing instances compete for the agents' last places and then drain the
backlog together.

The load and the judgement are the fault suite's (tests/faults/harness.py): the same
promises, kept by a desk doubled instead of broken."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
import httpx
import pytest
import pytest_asyncio
from desk_contracts.messages import MAX_CAPACITY
from desk_contracts.topology import EVENTS_EXCHANGE, SERVICES, exchange_name
from desk_runtime.testing import Infrastructure, Mailbox, drop_namespace, wait_until

from ..faults.harness import ADMIN_PASSWORD, Load, assert_promises_kept, report, settle
from .conftest import RunningDesk, demo_id

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="module"),
    # Fourteen processes starting on a shared 2-core machine, the load, then settling.
    pytest.mark.timeout(240),
]

# Incidents per second from all clients together, for this many seconds: more incidents
# than the two agents have places, so the backlog holds the rest until they get room.
RATE = 8.0
LOAD_SECONDS = 12.0
CAPACITY = 24
AGENTS = (demo_id("user:anna"), demo_id("user:boris"))
ACME = demo_id("organization:Acme Manufacturing")
# The SLA timers of a contract in seconds, as (event, clock) and the timer's kind.
TIMER_EVENTS = {
    ("sla.reminder_due", "response"): "response_reminder",
    ("sla.breached", "response"): "response_breach",
    ("sla.reminder_due", "resolution"): "resolution_reminder",
    ("sla.breached", "resolution"): "resolution_breach",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def doubled(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    from .conftest import start_desk

    running, log_file = await start_desk(
        infra, smtp_module[0], instances=2, admin_password=ADMIN_PASSWORD
    )
    try:
        yield running
    finally:
        await running.stop()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


class Announcements:
    """What the desk announces that must happen once per incident: assignments and the
    SLA's reminders and breaches (a queue of the test's own on the desk's exchange)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def assigned(self) -> Counter[UUID]:
        return Counter(
            UUID(e["payload"]["incident_id"])
            for e in self.events
            if e["type"] == "incident.assigned"
        )

    def timers(self) -> Counter[tuple[UUID, str]]:
        fired: Counter[tuple[UUID, str]] = Counter()
        for event in self.events:
            kind = TIMER_EVENTS.get((event["type"], event["payload"].get("clock")))
            if kind is not None:
                fired[(UUID(event["payload"]["incident_id"]), kind)] += 1
        return fired


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def announcements(doubled: RunningDesk) -> AsyncIterator[Announcements]:
    heard = Announcements()
    connection = await aio_pika.connect(doubled.settings.amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    exchange = exchange_name(doubled.settings.namespace, EVENTS_EXCHANGE)
    for key in ("incident.assigned", "sla.#"):
        await queue.bind(exchange, routing_key=key)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        heard.events.append(json.loads(message.body))

    await queue.consume(on_message, no_ack=True)
    try:
        yield heard
    finally:
        await connection.close()


async def _seconds_contract(http: httpx.AsyncClient, admin: str) -> str:
    """Acme on a contract in seconds (response 4 s with a reminder 2 s before, resolution
    10 s with one at 8 s, no escalation): every incident's four timers fall due in the test."""
    auth = {"authorization": f"Bearer {admin}"}
    calendar = await http.post(
        "/api/v1/calendars",
        headers=auth,
        json={"name": "Around the clock", "time_zone": "UTC", "always_open": True},
    )
    assert calendar.status_code == 201, calendar.text
    contract = await http.post(
        "/api/v1/contracts",
        headers=auth,
        json={
            "name": "Seconds",
            "calendar_id": calendar.json()["calendar_id"],
            "targets": [
                {"response_seconds": 4, "resolution_seconds": 10, "reminder_before_seconds": 2}
            ],
            "escalation": [],
        },
    )
    assert contract.status_code == 201, contract.text
    bound = await http.patch(
        f"/api/v1/organizations/{ACME}",
        headers=auth,
        json={"contract_id": contract.json()["contract_id"]},
    )
    assert bound.status_code == 200, bound.text
    contract_id: str = contract.json()["contract_id"]
    return contract_id


async def _in_force(http: httpx.AsyncClient, client: str, staff: str, contract_id: str) -> None:
    """Until an incident Acme files is measured by the contract (sla hears of the change
    through the broker, and intake of the demo categories): one probe incident each try."""
    auth = {"authorization": f"Bearer {client}"}

    async def probe() -> bool:
        filed = await http.post(
            "/api/v1/incidents",
            headers=auth,
            json={"title": "Probe", "category_id": str(demo_id("category:fault/software"))},
        )
        if filed.status_code != 201:
            return False

        async def measured() -> str | None:
            view = await http.get(
                f"/api/v1/incidents/{filed.json()['id']}/sla",
                headers={"authorization": f"Bearer {staff}"},
            )
            return view.json()["contract_id"] if view.status_code == 200 else None

        return bool(await wait_until(measured, timeout=20, interval=0.2) == contract_id)

    await wait_until(probe, timeout=60, interval=0.5)


async def _metric_total(http: httpx.AsyncClient, port: int, names: tuple[str, ...]) -> float:
    """The sum of one process's counters `names` (outcome "ok" where they have one)."""
    text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(names) and ("outcome=" not in line or 'outcome="ok"' in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_two_of_every_service_under_load_double_and_lose_nothing(
    doubled: RunningDesk, smtp_module: tuple[int, Mailbox], announcements: Announcements
) -> None:
    desk, mailbox = doubled, smtp_module[1]
    assert {name for name in desk.instances} == {
        name for service in SERVICES for name in (service, f"{service}-2")
    }
    routing = await asyncpg.connect(desk.settings.database_url("routing"))
    intake = await asyncpg.connect(desk.settings.database_url("intake"))
    sla = await asyncpg.connect(desk.settings.database_url("sla"))
    notify = await asyncpg.connect(desk.settings.database_url("notify"))
    try:
        async with desk.client() as http:
            admin = await desk.token("admin", ADMIN_PASSWORD)
            contract_id = await _seconds_contract(http, admin)
            await _in_force(http, await desk.token("alice"), admin, contract_id)

        # The load, while the agents' loads are watched: never above their capacity.
        highest: Counter[UUID] = Counter()
        watching = asyncio.Event()

        async def watch() -> None:
            while not watching.is_set():
                for row in await routing.fetch(
                    "SELECT agent_id, load, capacity FROM agents WHERE agent_id = ANY($1)",
                    list(AGENTS),
                ):
                    assert row["load"] <= row["capacity"], dict(row)
                    highest[row["agent_id"]] = max(highest[row["agent_id"]], row["load"])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(watching.wait(), 0.2)

        watcher = asyncio.create_task(watch())
        load = Load(desk, rate=RATE, clients=6, capacity=CAPACITY)
        await load.start()
        await asyncio.sleep(LOAD_SECONDS)
        await load.stop()
        accepted = list(load.accepted)
        assert len(accepted) > 2 * CAPACITY

        # Routing heard every registration: the agents are full, the rest wait.
        async def all_placed() -> bool:
            placed = await routing.fetchval(
                "SELECT (SELECT count(*) FROM assignments WHERE incident_id = ANY($1)) "
                "+ (SELECT count(*) FROM backlog WHERE incident_id = ANY($1))",
                accepted,
            )
            return bool(placed == len(accepted))

        await wait_until(all_placed, timeout=60, interval=0.25)
        watching.set()
        await watcher
        full = await routing.fetch(
            "SELECT a.agent_id, a.load, a.capacity, "
            "(SELECT count(*) FROM assignments s WHERE s.agent_id = a.agent_id AND s.is_open) "
            "AS open FROM agents a WHERE a.agent_id = ANY($1)",
            list(AGENTS),
        )
        for row in full:
            assert row["load"] == row["open"] == row["capacity"] == CAPACITY, dict(row)
            assert highest[row["agent_id"]] == CAPACITY

        # The head gives them room: both routing instances drain the backlog.
        async with desk.client() as http:
            for agent in AGENTS:
                roomy = await http.patch(
                    f"/api/v1/agents/{agent}",
                    headers={"authorization": f"Bearer {admin}"},
                    json={"capacity": MAX_CAPACITY},
                )
                assert roomy.status_code == 200, roomy.text

        async def backlog_drained() -> bool:
            return not await routing.fetchval(
                "SELECT count(*) FROM backlog WHERE incident_id = ANY($1)", accepted
            )

        await wait_until(backlog_drained, timeout=60, interval=0.25)

        # Every incident's four timers fell due; those answered may have stopped some.
        answered = set(load.answered)
        running_clocks = [i for i in accepted if i not in answered]

        async def timers_fired() -> bool:
            fired = await sla.fetchval(
                "SELECT count(*) FROM durable_timers WHERE key = ANY($1::text[]) "
                "AND state = 'fired' AND kind = ANY($2::text[])",
                [str(i) for i in running_clocks],
                list(TIMER_EVENTS.values()),
            )
            return bool(fired == 4 * len(running_clocks))

        await wait_until(timers_fired, timeout=90, interval=0.5)
        verdict = await settle(desk, load, mailbox, timeout=90)
        report("two-of-everything", {**verdict.summary(), "answered": len(answered)})
        assert_promises_kept(load, verdict)

        # Each incident assigned once: one booking, one announcement, one entry in intake.
        booked = {
            row["incident_id"]: row["agent_id"]
            for row in await routing.fetch(
                "SELECT incident_id, agent_id FROM assignments WHERE incident_id = ANY($1)",
                accepted,
            )
        }
        assert set(booked) == set(accepted)
        entries = Counter(
            row["incident_id"]
            for row in await intake.fetch(
                "SELECT incident_id FROM entries WHERE kind = 'assignment' "
                "AND incident_id = ANY($1::uuid[])",
                accepted,
            )
        )
        assert entries == Counter(accepted)
        assignees = {
            row["id"]: row["assignee_id"]
            for row in await intake.fetch(
                "SELECT id, assignee_id FROM incidents WHERE id = ANY($1::uuid[])", accepted
            )
        }
        assert assignees == booked
        await wait_until(lambda: set(announcements.assigned()) >= set(accepted))

        # Each timer fired once: one announcement per fired timer, none for another.
        fired = {
            (UUID(row["key"]), row["kind"])
            for row in await sla.fetch(
                "SELECT key, kind FROM durable_timers WHERE key = ANY($1::text[]) "
                "AND state = 'fired' AND kind = ANY($2::text[])",
                [str(i) for i in accepted],
                list(TIMER_EVENTS.values()),
            )
        }
        await wait_until(
            lambda: (
                set(announcements.timers())
                >= {(i, kind) for i in running_clocks for kind in TIMER_EVENTS.values()}
            )
        )
        heard = {key: n for key, n in announcements.timers().items() if key[0] in load.accepted}
        assert set(heard) <= fired
        assert set(heard.values()) == {1}
        assert set(announcements.assigned().values()) == {1}

        # One mail per recipient and event: one delivery each, sent once (Message-ID).
        deliveries = Counter(
            (row["event_id"], row["recipient_id"], row["channel"])
            for row in await notify.fetch(
                "SELECT event_id, recipient_id, channel FROM deliveries "
                "WHERE incident_id = ANY($1::uuid[])",
                accepted,
            )
        )
        assert set(deliveries.values()) == {1}
        assert verdict.repeated_mails == 0
        assert verdict.mails >= verdict.deliveries
    finally:
        for conn in (routing, intake, sla, notify):
            await conn.close()

    # Every instance of every service took its share: the gateways answered requests,
    # the others handled messages or answered questions.
    async with desk.client() as http:
        staff = {"authorization": f"Bearer {await desk.token('admin', ADMIN_PASSWORD)}"}
        for _ in range(8):  # equipment lists: questions to assets, taken in turn
            listed = await http.get("/api/v1/equipment", headers=staff)
            assert listed.status_code == 200, listed.text
        for name, port in desk.instances.items():
            names = (
                ("desk_http_requests_total",)
                if name.startswith("portal-gateway")
                else ("desk_messages_consumed_total", "desk_queries_answered_total")
            )
            assert await _metric_total(http, port, names) > 0, name
