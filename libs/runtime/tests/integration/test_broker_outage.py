"""A service while its broker connection is cut (a proxy in front of the real broker) and
after it is restored: questions fail at once with `ServiceUnavailable` instead of hanging
or raising the broker client's own errors, the outbox keeps what it could not publish
and publishes it after, readiness falls and comes back with every consumer (reply queues
included), and the watchdog re-attaches a reply consumer that did not come back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import aio_pika
import pytest
import pytest_asyncio
from desk_contracts.enums import Channel, Priority, Role
from desk_contracts.messages import (
    GetIncident,
    GetNotification,
    IncidentRegistered,
    Principal,
)
from desk_contracts.topology import EVENTS_EXCHANGE, exchange_name
from desk_runtime.health import readiness
from desk_runtime.metrics import CONSUMER_REATTACHMENTS
from desk_runtime.rpc import BrokerUnreachable, RemoteFailure, RpcClient, ServiceUnavailable
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import wait_until

pytestmark = pytest.mark.integration

STAFF = Principal(user_id=uuid4(), role=Role.AGENT)


@dataclass
class Behind:
    """intake, with every broker connection through `proxy`, and a request/reply client
    on its connection as the gateway has one (counted by its readiness)."""

    service: Service
    proxy: TcpProxy
    client: RpcClient


@pytest_asyncio.fixture
async def behind(desk_settings: DeskSettings) -> AsyncIterator[Behind]:
    from intake.app import build

    url = urlsplit(desk_settings.amqp_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5672)
    port = await proxy.start()
    netloc = f"{url.netloc.rsplit(':', 1)[0]}:{port}"
    service = build(desk_settings.replaced(**{"amqp_url": urlunsplit(url._replace(netloc=netloc))}))
    await service.start()
    client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "test", timeout=30)
    await client.connect(service.connection)
    service.rpc_clients.append(client)
    try:
        yield Behind(service, proxy, client)
    finally:
        await proxy.restore()
        await client.close()
        await service.stop()
        await proxy.close()


async def _ready(service: Service) -> bool:
    return bool((await readiness(service))["ready"])


async def _answered(client: RpcClient) -> bool:
    """intake answers (a 404 for an incident that does not exist is an answer)."""
    try:
        await client.ask(GetIncident(principal=STAFF, incident_id=uuid4()))
    except RemoteFailure as failure:
        return failure.failure.status == 404
    return False


def _registered() -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=uuid4(),
        number="INC-000001",
        title="Scanner jams",
        category_id=uuid4(),
        category_path=("fault",),
        priority=Priority.NORMAL,
        channel=Channel.API,
        requester_id=uuid4(),
        organization_id=uuid4(),
        registered_at=datetime.now(UTC),
    )


async def test_questions_fail_at_once_while_the_broker_is_away_and_work_after(
    behind: Behind,
) -> None:
    service, proxy, client = behind.service, behind.proxy, behind.client
    assert await _ready(service)
    assert await _answered(client)
    # A question nobody will answer (notify is not running) is waiting when the cut
    # comes: its answer can no longer arrive, so it fails now, not after 30 s.
    waiting = asyncio.create_task(
        client.ask(GetNotification(principal=STAFF, notification_id=uuid4()))
    )
    await wait_until(lambda: bool(client._pending))
    await proxy.cut()
    with pytest.raises(ServiceUnavailable) as lost:
        await waiting
    assert isinstance(lost.value.__cause__, BrokerUnreachable)

    await wait_until(lambda: not service.connection.connected.is_set(), timeout=15)
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        await client.ask(GetIncident(principal=STAFF, incident_id=uuid4()))
    assert not await _ready(service)

    await proxy.restore()
    restored = time.monotonic()
    await wait_until(lambda: _ready(service), timeout=60, interval=0.1)
    print(f"intake ready {time.monotonic() - restored:.2f} s after the restore")
    report = await readiness(service)
    assert report["consumers"][client.reply_queue] == 1
    assert all(count == 1 for count in report["consumers"].values()), report
    assert await _answered(client)


async def test_the_outbox_keeps_what_it_could_not_publish_and_publishes_it_after(
    behind: Behind, desk_settings: DeskSettings
) -> None:
    service, proxy = behind.service, behind.proxy
    # Our own queue on the events exchange, over a connection the proxy does not carry.
    watcher = await aio_pika.connect(desk_settings.amqp_url)
    try:
        channel = await watcher.channel()
        exchange = await channel.get_exchange(
            exchange_name(desk_settings.namespace, EVENTS_EXCHANGE)
        )
        seen = await channel.declare_queue(exclusive=True, auto_delete=True)
        await seen.bind(exchange, IncidentRegistered.ROUTING_KEY)

        await proxy.cut()
        await wait_until(lambda: not service.connection.connected.is_set(), timeout=15)
        async with service.transaction() as uow:
            written = await uow.publish_many([_registered() for _ in range(5)])
        await asyncio.sleep(2)  # the relay has been woken and could publish nothing
        assert await service.pool.fetchval("SELECT count(*) FROM outbox") == 5

        await proxy.restore()
        arrived: set[str] = set()
        async with asyncio.timeout(60), seen.iterator() as messages:
            async for message in messages:
                await message.ack()
                arrived.add(str(message.message_id))
                if arrived >= {str(e.message_id) for e in written}:
                    break
        await wait_until(lambda: service.pool.fetchval("SELECT count(*) = 0 FROM outbox"))
    finally:
        await watcher.close()


async def test_the_watchdog_reattaches_a_reply_consumer_that_did_not_come_back(
    behind: Behind,
) -> None:
    service, client = behind.service, behind.client
    reattached = CONSUMER_REATTACHMENTS._value.get()
    queue = client._reply_queue
    assert queue is not None
    for tag in list(queue._consumers):  # type: ignore[attr-defined]
        await queue.cancel(tag)

    async def reply_consumer_missing() -> bool:
        return (await readiness(service))["consumers"].get(client.reply_queue) == 0

    await wait_until(reply_consumer_missing, timeout=10)
    assert not await _ready(service)
    await wait_until(lambda: _ready(service), timeout=30, interval=0.2)
    assert CONSUMER_REATTACHMENTS._value.get() == reattached + 1
    assert await _answered(client)
