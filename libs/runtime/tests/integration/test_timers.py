"""Durable timers against the real database and broker: arm, move and cancel in the
caller's transaction; each fires once, through the outbox, however many schedulers run;
an earlier arm wakes a sleeping scheduler; armed timers outlive the process."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Event
from desk_runtime import timers
from desk_runtime.db import create_pool, drop_database
from desk_runtime.service import Service, UnitOfWork
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import wait_until
from desk_runtime.timers import FiredTimer, Timer, TimerScheduler
from desk_runtime.topology import declare_events_exchange

pytestmark = pytest.mark.integration

NAME = "clockwork"
FAR = timedelta(hours=1)


class Rang(Event):
    """What the test handler announces for each timer it fires."""

    ROUTING_KEY: ClassVar[str] = "test.timer_rang"
    kind: str
    key: str


async def ring(uow: UnitOfWork, fired: list[FiredTimer]) -> None:
    """Records each firing in the service's own table and announces it, in the unit of
    work that marks the timers fired."""
    await uow.conn.executemany(
        "INSERT INTO rings (kind, key, due_at, fired_at) VALUES ($1, $2, $3, $4)",
        [(t.kind, t.key, t.due_at, t.fired_at) for t in fired],
    )
    await uow.publish_many([Rang(kind=t.kind, key=t.key) for t in fired])


@pytest_asyncio.fixture
async def settings(desk_settings: DeskSettings) -> AsyncIterator[DeskSettings]:
    # No health server: several instances run at once. The namespace cleanup knows only
    # the five services' databases.
    settings = desk_settings.replaced(**{"health_port": None})
    try:
        yield settings
    finally:
        await drop_database(settings, NAME)


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    (tmp_path / "0001_rings.sql").write_text(
        "CREATE TABLE rings (kind text, key text, due_at timestamptz, fired_at timestamptz);"
    )
    return tmp_path


class Desk:
    """Instances of a small service that fires timers, started and stopped by the test."""

    def __init__(self, settings: DeskSettings, migrations: Path) -> None:
        self.settings = settings
        self.migrations = migrations
        self.running: list[Service] = []

    async def start(
        self, handler: timers.TimerHandler = ring, max_sleep: float = 5.0
    ) -> TimerScheduler:
        service = Service(NAME, self.migrations, self.settings)
        scheduler = timers.schedule(service, {"ring": handler}, max_sleep=max_sleep)
        await service.start()
        self.running.append(service)
        return scheduler

    async def stop(self, index: int = 0) -> None:
        await self.running.pop(index).stop()


@pytest_asyncio.fixture
async def desk(settings: DeskSettings, migrations: Path) -> AsyncIterator[Desk]:
    desk = Desk(settings, migrations)
    try:
        yield desk
    finally:
        while desk.running:
            await desk.stop()


@pytest_asyncio.fixture
async def pool(desk: Desk) -> AsyncIterator[asyncpg.Pool]:
    """The database of the service, migrated by a first instance."""
    await desk.start()
    pool = await create_pool(desk.settings, NAME)
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture
async def announced(settings: DeskSettings) -> AsyncIterator[list[dict[str, str]]]:
    """The payloads of the `Rang` events published to the events exchange."""
    seen: list[dict[str, str]] = []
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, settings.namespace)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key=Rang.ROUTING_KEY)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            seen.append(json.loads(message.body)["payload"])

        await queue.consume(on_message, no_ack=True)
        yield seen
    finally:
        await connection.close()


def soon(seconds: float = 0.0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def arm(pool: asyncpg.Pool, *armed: Timer, rearm_fired: tuple[str, ...] = ()) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await timers.arm(conn, armed, rearm_fired=rearm_fired)


async def rings(pool: asyncpg.Pool) -> Counter[tuple[str, str]]:
    rows = await pool.fetch("SELECT kind, key FROM rings")
    return Counter((row["kind"], row["key"]) for row in rows)


async def state_of(pool: asyncpg.Pool, key: str) -> dict[str, tuple[str, datetime]]:
    return {t.kind: (t.state, t.due_at) for t in await timers.timers_of(pool, key)}


async def none_armed(pool: asyncpg.Pool) -> bool:
    return await timers.count_armed(pool) == 0


def fired(pool: asyncpg.Pool, key: str, kind: str = "ring") -> Callable[[], object]:
    async def check() -> bool:
        return (await state_of(pool, key)).get(kind, ("", None))[0] == "fired"

    return check


async def test_arm_moves_and_cancels_within_the_callers_transaction(pool: asyncpg.Pool) -> None:
    first, later = soon(3600), soon(7200)
    await arm(pool, Timer("ring", "a", first, {"n": 1}), Timer("ring:second", "a", first))
    assert await state_of(pool, "a") == {
        "ring": ("armed", first),
        "ring:second": ("armed", first),
    }

    # Arming again moves the timer (and its payload).
    await arm(pool, Timer("ring", "a", later, {"n": 2}))
    (moved,) = [t for t in await timers.timers_of(pool, "a") if t.kind == "ring"]
    assert (moved.state, moved.due_at, moved.payload) == ("armed", later, {"n": 2})

    # A rolled-back transaction arms nothing.
    async def arm_then_fail() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await timers.arm(conn, [Timer("ring", "b", first)])
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        await arm_then_fail()
    assert await timers.timers_of(pool, "b") == []

    async with pool.acquire() as conn, conn.transaction():
        await timers.cancel(conn, "a", ["ring:second"])
    assert await state_of(pool, "a") == {
        "ring": ("armed", later),
        "ring:second": ("cancelled", first),
    }

    # Replacing makes the key's armed timers exactly these; a cancelled one comes back.
    async with pool.acquire() as conn, conn.transaction():
        await timers.replace(conn, "a", [Timer("ring:second", "a", later)])
    assert await state_of(pool, "a") == {
        "ring": ("cancelled", later),
        "ring:second": ("armed", later),
    }
    async with pool.acquire() as conn, conn.transaction():
        await timers.cancel(conn, "a")
    assert {state for state, _ in (await state_of(pool, "a")).values()} == {"cancelled"}
    assert await timers.count_armed(pool) == 0


async def test_a_fired_timer_stays_fired_unless_rearmed(pool: asyncpg.Pool) -> None:
    await arm(pool, Timer("ring", "k", soon()))
    await wait_until(fired(pool, "k"))

    await arm(pool, Timer("ring", "k", soon(3600)))
    assert (await state_of(pool, "k"))["ring"][0] == "fired"

    due = soon(3600)
    await arm(pool, Timer("ring", "k", due), rearm_fired=("ring",))
    assert (await state_of(pool, "k"))["ring"] == ("armed", due)
    assert await rings(pool) == {("ring", "k"): 1}


async def test_each_timer_fires_once_under_two_schedulers(
    desk: Desk, pool: asyncpg.Pool, announced: list[dict[str, str]]
) -> None:
    await desk.start()  # a second instance beside the pool's
    keys = [f"incident-{n}" for n in range(300)]
    # Due now and over the next second: both schedulers claim while they fall due.
    await arm(pool, *(Timer("ring", key, soon(n / 300)) for n, key in enumerate(keys)))

    expected = {("ring", key): 1 for key in keys}
    await wait_until(lambda: none_armed(pool))
    assert await rings(pool) == expected
    # Each announced once, as the relay publishes what the firings wrote to the outbox.
    await wait_until(lambda: pool.fetchval("SELECT count(*) = 0 FROM outbox"))
    await wait_until(lambda: len(announced) >= len(keys))
    assert Counter(("ring", p["key"]) for p in announced) == expected
    assert await timers.count_armed(pool) == 0


async def test_a_family_without_a_handler_stays_armed_and_blocks_nothing(
    pool: asyncpg.Pool,
) -> None:
    await arm(pool, Timer("unknown", "x", soon(-60)), Timer("ring", "x", soon()))
    await wait_until(fired(pool, "x"))
    assert (await state_of(pool, "x"))["unknown"][0] == "armed"


async def test_an_earlier_timer_wakes_the_sleeping_scheduler(
    desk: Desk, settings: DeskSettings
) -> None:
    # An hour's sleep at most: only the NOTIFY of the arm can make it look in time.
    scheduler = await desk.start(max_sleep=3600)
    pool = await create_pool(settings, NAME)
    try:
        await arm(pool, Timer("ring", "far", soon(3000)))
        await wait_until(lambda: (scheduler.asleep_until or 0) > soon(2000).timestamp())

        await arm(pool, Timer("ring", "near", soon(0.2)))
        await wait_until(fired(pool, "near"))
        assert await rings(pool) == {("ring", "near"): 1}
        assert (await state_of(pool, "far"))["ring"][0] == "armed"
    finally:
        await pool.close()


async def test_armed_timers_outlive_the_scheduler(desk: Desk, pool: asyncpg.Pool) -> None:
    await arm(pool, *(Timer("ring", f"k{n}", soon(3600)) for n in range(20)))
    await desk.stop()  # the only instance: nobody runs

    # While nobody runs, they are moved to now and fall due.
    await arm(pool, *(Timer("ring", f"k{n}", soon()) for n in range(20)))
    assert await timers.count_armed(pool) == 20
    assert await rings(pool) == {}

    await desk.start()
    await wait_until(lambda: none_armed(pool))
    assert await rings(pool) == {("ring", f"k{n}"): 1 for n in range(20)}


async def test_a_failing_handler_leaves_its_timers_armed(
    desk: Desk, settings: DeskSettings, announced: list[dict[str, str]]
) -> None:
    attempts: list[int] = []
    failing = [True]

    async def flaky(uow: UnitOfWork, fired: list[FiredTimer]) -> None:
        await ring(uow, fired)  # its writes and announcements roll back with the failure
        attempts.append(len(fired))
        if failing[0]:
            raise RuntimeError("the handler failed")

    await desk.start(flaky)
    pool = await create_pool(settings, NAME)
    try:
        await arm(pool, Timer("ring", "k", soon()))
        await wait_until(lambda: attempts)
        assert (await state_of(pool, "k"))["ring"][0] == "armed"
        assert await rings(pool) == {}

        failing[0] = False
        await wait_until(fired(pool, "k"))
        await wait_until(lambda: announced)
        assert await rings(pool) == {("ring", "k"): 1}
        assert [p["key"] for p in announced] == ["k"]
    finally:
        await pool.close()
