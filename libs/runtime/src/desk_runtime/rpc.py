"""Request/reply over RabbitMQ with a timeout and many questions in flight at once.

FastStream's `broker.request` serialises requests behind one lock and waits forever by
default; the gateway asks on its hot path, so it keeps its own reply queue and a table of
pending futures keyed by correlation id.

While the broker is away a question fails at once with `ServiceUnavailable` (a 503 to
the gateway's clients, not a wait for a timeout nor a 500), and so do the questions that
were waiting for an answer when the connection was lost: their answers cannot arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aiormq.exceptions import ChannelInvalidStateError
from desk_contracts import Envelope, Failure, Message, Reply, RequestReply
from desk_contracts.topology import rpc_queue

from .context import correlation_id_var
from .logging import get_logger
from .metrics import RPC_REQUEST_SECONDS

log = get_logger(__name__)
ResultT = TypeVar("ResultT", bound=Message)


# What a lost or restoring broker connection raises from a publish (aio-pika reports a
# channel it is reopening as a RuntimeError subclass).
BROKER_ERRORS: tuple[type[Exception], ...] = (
    aio_pika.exceptions.AMQPError,
    ChannelInvalidStateError,
    ConnectionError,
)
UNANSWERED: tuple[type[Exception], ...] = (TimeoutError, *BROKER_ERRORS)


class ServiceUnavailable(Exception):
    """The service that owns the answer did not reply in time (or is unreachable)."""

    def __init__(self, query: str, timeout: float, reason: str | None = None) -> None:
        super().__init__(
            f"{query}: {reason}" if reason else f"no answer to {query} within {timeout:g} s"
        )
        self.query = query
        self.timeout = timeout


class BrokerUnreachable(ConnectionError):
    """The connection to the broker is lost (it is being re-established)."""


class RemoteFailure(Exception):
    """The service answered with a failure (not found, invalid, conflict…)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


class RpcClient:
    def __init__(self, amqp_url: str, namespace: str, producer: str, timeout: float) -> None:
        self._url = amqp_url
        self._namespace = namespace
        self._producer = producer
        self.timeout = timeout
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._reply_queue: AbstractQueue | None = None

    @property
    def reply_queue(self) -> str | None:
        """The queue answers come back on (its consumer is part of readiness)."""
        return self._reply_queue.name if self._reply_queue is not None else None

    async def connect(self, connection: AbstractRobustConnection) -> None:
        self._connection = connection
        connection.close_callbacks.add(self._on_connection_lost)
        await self._open()

    async def _open(self) -> None:
        assert self._connection is not None
        channel = await self._connection.channel(publisher_confirms=False)
        self._channel = channel
        self._reply_queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await self._reply_queue.consume(self._on_reply, no_ack=True)

    async def reattach(self) -> None:
        """A fresh channel and reply queue, for a consumer the broker client did not
        restore after a reconnection; questions in flight are lost with the old one."""
        previous = self._channel
        self._fail_pending(BrokerUnreachable("reply queue replaced"))
        await self._open()
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous.close()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close_callbacks.discard(self._on_connection_lost)
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()

    def _on_connection_lost(
        self, _: AbstractConnection | None = None, error: BaseException | None = None
    ) -> None:
        # The reply queue is exclusive: whatever was on its way to it is gone.
        self._fail_pending(BrokerUnreachable(f"connection to the broker lost ({error!r})"))

    def _fail_pending(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    async def ask(self, query: RequestReply[ResultT], timeout: float | None = None) -> ResultT:
        """Send a query or a request and wait for the answer its class declares, or raise."""
        channel, reply_queue = self._channel, self._reply_queue
        if channel is None or reply_queue is None:
            raise ServiceUnavailable(query.ROUTING_KEY, 0, "not connected to the broker")
        if self._connection is not None and not self._connection.connected.is_set():
            RPC_REQUEST_SECONDS.labels(query.ROUTING_KEY, "unanswered").observe(0)
            raise ServiceUnavailable(query.ROUTING_KEY, 0, "the message broker is unreachable")
        timeout = timeout or self.timeout
        reply_model = type(query).REPLY
        request_id = str(uuid4())
        envelope = Envelope.wrap(
            query, producer=self._producer, correlation_id=correlation_id_var.get() or uuid4()
        )
        started = time.perf_counter()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self._publish(
                    channel,
                    aio_pika.Message(
                        envelope.model_dump_json().encode(),
                        content_type="application/json",
                        correlation_id=request_id,
                        message_id=str(envelope.message_id),
                        reply_to=reply_queue.name,
                        # A question nobody picked up in time is useless: let it vanish.
                        expiration=timeout,
                        headers={"x-correlation-id": str(envelope.correlation_id)},
                    ),
                    rpc_queue(self._namespace, type(query)),
                )
                body = await future
        except UNANSWERED as error:
            log.warning("rpc_unanswered", query=query.ROUTING_KEY, error=repr(error))
            RPC_REQUEST_SECONDS.labels(query.ROUTING_KEY, "unanswered").observe(
                time.perf_counter() - started
            )
            raise ServiceUnavailable(query.ROUTING_KEY, timeout) from error
        finally:
            self._pending.pop(request_id, None)
        reply: Reply[Any] = Reply[reply_model].model_validate_json(body)  # type: ignore[valid-type]
        RPC_REQUEST_SECONDS.labels(query.ROUTING_KEY, "ok" if reply.ok else "failure").observe(
            time.perf_counter() - started
        )
        if not reply.ok or reply.result is None:
            raise RemoteFailure(reply.failure or Failure(status=502, detail="empty reply"))
        return cast("ResultT", reply.result)

    @staticmethod
    async def _publish(
        channel: AbstractChannel, message: aio_pika.Message, routing_key: str
    ) -> None:
        # A channel the broker client is reopening after a reconnection: wait for it
        # (within the question's time) rather than fail a question that can be asked.
        if isinstance(channel, AbstractRobustChannel) and channel.is_closed:
            await channel.ready()
        await channel.default_exchange.publish(message, routing_key=routing_key)

    async def ask_as(
        self,
        query: RequestReply[ResultT],
        result_type: type[ResultT] | None = None,
        timeout: float | None = None,
    ) -> ResultT:
        """`ask`, checked: an answer of another type than expected (`result_type`, by
        default the one the class declares) is the peer's fault."""
        result = await self.ask(query, timeout)
        if not isinstance(result, result_type or type(query).REPLY):
            raise RemoteFailure(
                Failure(status=502, detail=f"{query.ROUTING_KEY} answered with the wrong type")
            )
        return result


def correlation_of(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
