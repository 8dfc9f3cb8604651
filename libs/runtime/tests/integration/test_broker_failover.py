"""Several broker hosts in DESK_AMQP_URL: a service starts on the first that answers, and
a connection whose host goes away moves to the next one."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractConnection
from desk_runtime.broker import connect_robust
from desk_runtime.db import drop_database
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import free_port

pytestmark = pytest.mark.integration


def _on_port(amqp_url: str, port: int) -> str:
    url = urlsplit(amqp_url)
    return urlunsplit(url._replace(netloc=f"{url.netloc.rsplit(':', 1)[0]}:{port}"))


async def _round_trip(connection: AbstractConnection) -> bytes:
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await channel.default_exchange.publish(aio_pika.Message(b"ping"), routing_key=queue.name)
    async with asyncio.timeout(10), queue.iterator() as messages:
        async for message in messages:
            await message.ack()
            break
    await channel.close()
    return message.body


async def test_a_service_starts_on_the_second_host_when_the_first_is_closed(
    desk_settings: DeskSettings,
) -> None:
    real = desk_settings.amqp_url
    closed = _on_port(real, free_port())
    settings = DeskSettings(
        namespace=desk_settings.namespace,
        postgres_url=desk_settings.postgres_url,
        amqp_url=f"{closed}, {real}",
        connect_timeout_seconds=10,
    )
    assert settings.amqp_urls == [closed, real]
    service = Service("probe", settings=settings)
    try:
        await service.start()
        assert service.connection.url.port == urlsplit(real).port
        assert await _round_trip(service.connection) == b"ping"
        # The consumers' connection (FastStream's) took the same way.
        consumers = service.broker._connection
        assert consumers is not None
        assert consumers.url.port == urlsplit(real).port
    finally:
        await service.stop()
        await drop_database(settings, "probe")


async def test_a_connection_moves_to_the_next_host_when_its_own_goes_away(
    desk_settings: DeskSettings,
) -> None:
    real = desk_settings.amqp_url
    target = urlsplit(real)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    connection = await connect_robust([_on_port(real, proxy.port), real], reconnect_interval=0.2)
    try:
        assert connection.url.port == proxy.port
        assert await _round_trip(connection) == b"ping"
        reconnected = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: reconnected.set())

        await proxy.cut()  # the first host is gone and refuses new connections
        await asyncio.wait_for(reconnected.wait(), timeout=20)

        assert connection.url.port == target.port
        assert await _round_trip(connection) == b"ping"
    finally:
        await connection.close()
        await proxy.close()
