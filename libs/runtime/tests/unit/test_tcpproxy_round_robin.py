"""The test proxy in front of several instances of a server: each new connection goes to
the next one in turn, and past one that is down to the one after."""

from __future__ import annotations

import asyncio

import pytest
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import free_port


async def _named_server(name: bytes) -> asyncio.Server:
    """A server that greets every connection with its name, then closes it."""

    async def greet(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(name)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(greet, "127.0.0.1", 0)


async def _who_answers(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await reader.read()
    finally:
        writer.close()


async def test_connections_go_to_each_target_in_turn_skipping_one_that_is_down() -> None:
    first, second = await _named_server(b"first"), await _named_server(b"second")
    down = free_port()  # nothing listens there
    targets = [("127.0.0.1", s.sockets[0].getsockname()[1]) for s in (first, second)]
    proxy = TcpProxy.round_robin([targets[0], ("127.0.0.1", down), targets[1]])
    port = await proxy.start()
    try:
        answers = [await _who_answers(port) for _ in range(6)]
    finally:
        await proxy.close()
        for server in (first, second):
            server.close()
            await server.wait_closed()
    # Turns: first, (down → second), second, first, (down → second), second.
    assert answers == [b"first", b"second", b"second"] * 2


def test_a_balancing_proxy_needs_a_target() -> None:
    with pytest.raises(ValueError, match="targets"):
        TcpProxy.round_robin([])
