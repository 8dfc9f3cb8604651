"""The test proxy against the real broker: a connection through it works, breaks on a
cut, cannot be opened again while cut, and can be after a restore, on the same port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractConnection
from desk_runtime.settings import DeskSettings
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import wait_until

pytestmark = pytest.mark.integration


def _through(amqp_url: str, port: int) -> str:
    url = urlsplit(amqp_url)
    return urlunsplit(url._replace(netloc=f"{url.netloc.rsplit(':', 1)[0]}:{port}"))


@pytest_asyncio.fixture
async def proxy(desk_settings: DeskSettings) -> AsyncIterator[TcpProxy]:
    url = urlsplit(desk_settings.amqp_url)
    running = TcpProxy(url.hostname or "127.0.0.1", url.port or 5672)
    await running.start()
    try:
        yield running
    finally:
        await running.close()


async def _round_trip(connection: AbstractConnection) -> bytes:
    """A message to a private queue and back: the connection really carries traffic."""
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await channel.default_exchange.publish(aio_pika.Message(b"ping"), routing_key=queue.name)
    async with asyncio.timeout(10), queue.iterator() as messages:
        async for message in messages:
            await message.ack()
            break
    await channel.close()
    return message.body


async def test_a_connection_breaks_on_cut_and_a_new_one_works_after_restore(
    proxy: TcpProxy, desk_settings: DeskSettings
) -> None:
    url = _through(desk_settings.amqp_url, proxy.port)
    connection = await aio_pika.connect(url)
    try:
        assert await _round_trip(connection) == b"ping"
        closed = asyncio.get_running_loop().create_future()
        connection.close_callbacks.add(lambda *_: closed.done() or closed.set_result(None))

        await proxy.cut()
        async with asyncio.timeout(10):
            await closed
        with pytest.raises((aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError)):
            await _round_trip(connection)
        with pytest.raises((aio_pika.exceptions.AMQPError, ConnectionError, OSError)):
            await aio_pika.connect(url, timeout=5)
    finally:
        await connection.close()

    await proxy.restore()
    again = await aio_pika.connect(url)
    try:
        assert await _round_trip(again) == b"ping"
    finally:
        await again.close()


async def test_the_port_stays_the_same_and_close_ends_everything(
    proxy: TcpProxy, desk_settings: DeskSettings
) -> None:
    port = proxy.port
    assert await proxy.start() == port
    await proxy.cut()
    await proxy.restore()
    assert proxy.port == port
    connection = await aio_pika.connect(_through(desk_settings.amqp_url, port))
    closed = asyncio.get_running_loop().create_future()
    connection.close_callbacks.add(lambda *_: closed.done() or closed.set_result(None))
    await proxy.close()
    async with asyncio.timeout(10):
        await closed
    await connection.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_robust_connection_comes_back_by_itself_after_restore(
    proxy: TcpProxy, desk_settings: DeskSettings
) -> None:
    connection = await aio_pika.connect_robust(
        _through(desk_settings.amqp_url, proxy.port) + "?reconnect_interval=0.2"
    )
    try:
        await proxy.cut()
        await wait_until(lambda: not connection.connected.is_set(), timeout=10)
        await asyncio.sleep(1)  # several reconnect attempts meet a closed door
        assert not connection.connected.is_set()
        await proxy.restore()
        async with asyncio.timeout(15):
            await connection.connected.wait()
        assert await _round_trip(connection) == b"ping"
    finally:
        await connection.close()
