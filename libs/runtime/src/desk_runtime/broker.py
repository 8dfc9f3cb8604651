"""Broker addresses: DESK_AMQP_URL may list several hosts (comma-separated URLs, e.g. the
nodes of a RabbitMQ cluster); a connection tries them in order and, when the one it is on
goes away, moves to the next."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aio_pika.robust_connection import RobustConnection
from faststream.rabbit import Channel, RabbitBroker
from yarl import URL

from .logging import get_logger
from .retry import BROKER_RECONNECT_SECONDS
from .settings import DeskSettings, broker_urls

log = get_logger(__name__)

__all__ = [
    "broker_urls",
    "connect_first",
    "connect_robust",
    "consumer_broker",
    "failover_connection_class",
]


def with_query(urls: Sequence[str], **query: str) -> list[str]:
    """Each URL with these query parameters added (e.g. the connection's name)."""
    return [str(URL(url).update_query(query)) for url in urls]


def failover_connection_class(urls: Sequence[str]) -> type[RobustConnection]:
    """A robust connection that tries `urls` in turn on every (re)connection, starting
    with the one that worked last."""
    hosts = [URL(url) for url in urls]

    class FailoverConnection(RobustConnection):
        _current = 0

        # aio-pika's robust connection makes each attempt (at start and after a loss)
        # through this method; the failover wraps it to walk the list once per attempt.
        async def _RobustConnection__connect_transport(self) -> None:
            error: BaseException | None = None
            for step in range(len(hosts)):
                index = (self._current + step) % len(hosts)
                self.url = hosts[index]
                try:
                    await RobustConnection._RobustConnection__connect_transport(self)  # type: ignore[attr-defined]
                except CONNECTION_EXCEPTIONS as failure:
                    error = failure
                    log.warning("broker_host_unreachable", host=str(self), error=str(failure))
                    continue
                if index != self._current:
                    log.info("broker_host_changed", host=str(self))
                self._current = index
                return
            assert error is not None
            raise error

    return FailoverConnection


async def connect_robust(urls: Sequence[str], **kwargs: Any) -> AbstractRobustConnection:
    """A robust connection to the first of `urls` that answers."""
    connection = await aio_pika.connect_robust(
        urls[0], connection_class=failover_connection_class(urls), **kwargs
    )
    return connection


async def connect_first(urls: Sequence[str], **kwargs: Any) -> AbstractConnection:
    """A plain (not re-established) connection to the first of `urls` that answers."""
    error: BaseException | None = None
    for url in urls:
        try:
            connection: AbstractConnection = await aio_pika.connect(url, **kwargs)
            return connection
        except CONNECTION_EXCEPTIONS as failure:
            error = failure
    assert error is not None
    raise error


def consumer_broker(settings: DeskSettings, service: str) -> RabbitBroker:
    """The FastStream broker a service consumes with, on the listed hosts."""
    # Named so an operator (and a test) can tell the consuming connection apart.
    urls = with_query(settings.amqp_urls, name=f"{settings.namespace}.{service}.consumers")
    broker = RabbitBroker(
        urls[0],
        default_channel=Channel(prefetch_count=settings.prefetch),
        reconnect_interval=BROKER_RECONNECT_SECONDS,
        app_id=service,
        graceful_timeout=10.0,
        # Handlers take the decoded body and validate it themselves: FastDepends'
        # injection cost a worker-thread hop per message (its Context fields are
        # resolved synchronously in a thread pool) for nothing we use.
        apply_types=False,
        # FastStream's per-message access lines go to DEBUG: our consumer wrapper
        # already logs each message with its correlation id.
        logger=logging.getLogger("faststream.access"),
        log_level=logging.DEBUG,
    )
    # FastStream hands its connection arguments to aio-pika as they are: the class that
    # fails over between the listed hosts goes in with them.
    broker._connection_kwargs["connection_class"] = failover_connection_class(urls)
    return broker
