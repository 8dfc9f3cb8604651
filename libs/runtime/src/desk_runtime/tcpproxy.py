"""A TCP proxy in front of a real server that a test can cut and restore.

To the clients behind it a cut is the server going away: every open connection is
reset on both sides and new ones are accepted and reset at once, while the server
itself (a broker or a database other runs share) keeps running. The listening port
stays the same throughout, as a restarted server's would.

    proxy = TcpProxy("127.0.0.1", 5672)
    port = await proxy.start()          # point the clients at 127.0.0.1:<port>
    await proxy.cut()                   # ... the server is "down"
    await proxy.restore()               # ... and back
    await proxy.close()

Given several targets (`TcpProxy.round_robin([(host, port), ...])`) it balances: each new
connection goes to the next target in turn, and past one that refuses to the one after,
as a load balancer in front of several instances of a server would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

CHUNK = 65536


class TcpProxy:
    def __init__(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        self.targets = [(target_host, target_port)]
        self._turn = 0
        self.listen = (listen_host, listen_port)
        self._port = 0
        self._server: asyncio.Server | None = None
        self._cut = False
        # Every task serving a client connection, and the transports it holds open.
        self._links: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.WriteTransport] = set()

    @classmethod
    def round_robin(
        cls, targets: Sequence[tuple[str, int]], listen_host: str = "127.0.0.1"
    ) -> TcpProxy:
        """A proxy handing each new connection to the next of `targets` in turn."""
        if not targets:
            raise ValueError("targets: at least one (host, port) is needed")
        proxy = cls(*targets[0], listen_host=listen_host)
        proxy.targets = list(targets)
        return proxy

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the proxy is not started")
        return self._port

    async def start(self) -> int:
        """Listen (on `listen_port`, else a free one) and return the port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, *self.listen)
            self._port = self._server.sockets[0].getsockname()[1]
        self._cut = False
        return self._port

    async def cut(self) -> None:
        """Reset every live connection, both sides, and every new one until `restore`."""
        self._cut = True
        await self._drop_all()

    async def restore(self) -> None:
        """Forward new connections again (the ones cut stay gone, as after a restart)."""
        self._cut = False

    async def close(self) -> None:
        self._cut = True
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._drop_all()

    async def _drop_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()
        links = list(self._links)
        for link in links:
            link.cancel()
        await asyncio.gather(*links, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = writer.transport
        if self._cut:
            client.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        self._transports.add(client)
        try:
            await self._forward(reader, writer)
        except asyncio.CancelledError:
            pass  # cut: the transports are aborted already
        finally:
            self._links.discard(task)
            self._transports.discard(client)
            client.abort()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened = await self._open_next()
        if opened is None:
            return
        upstream_reader, upstream_writer = opened
        upstream = upstream_writer.transport
        self._transports.add(upstream)
        try:
            if self._cut:  # cut while the upstream connection was being opened
                return
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._transports.discard(upstream)
            upstream.abort()

    async def _open_next(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next target in turn, or past those that refuse (None: all)."""
        start = self._turn
        self._turn = (self._turn + 1) % len(self.targets)
        for step in range(len(self.targets)):
            target = self.targets[(start + step) % len(self.targets)]
            with contextlib.suppress(OSError):
                return await asyncio.open_connection(*target)
        return None


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until either side ends, then end both (no half-open connections)."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await source.read(CHUNK):
            sink.write(chunk)
            await sink.drain()
    sink.transport.abort()
