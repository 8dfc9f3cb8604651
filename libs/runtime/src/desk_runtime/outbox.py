"""Transactional outbox: write with the change, publish after commit, never lose one.

`write_outbox` runs inside the caller's transaction (a unit of work writes what its
handlers announced just before the commit). The relay claims rows with
FOR UPDATE SKIP LOCKED (several instances share the work), publishes them with broker
confirms and deletes them in the same transaction; a crash before the delete publishes
them again, and the consumers' inbox drops the duplicate.

While the broker is away the rows simply wait: the relay claims nothing until its channel
is back, a publish cut short by the connection's loss rolls its claim back, and the
relay tries again as soon as the broker client has reconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustChannel
from aiormq.exceptions import ChannelInvalidStateError
from desk_contracts import Envelope, Message

from .context import causation_id_var, correlation_id_var
from .logging import get_logger
from .metrics import MESSAGES_PUBLISHED, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from .topology import declare_events_exchange

log = get_logger(__name__)

# A batch whose confirms have not all come back by then is rolled back and tried again:
# a connection lost mid-publish must not hold the claimed rows (and a pool connection).
PUBLISH_TIMEOUT_SECONDS = 10.0
# After a failure: a short pause, doubled up to this, before the next try.
MAX_RETRY_PAUSE_SECONDS = 1.0
RELAY_ERRORS: tuple[type[Exception], ...] = (
    aio_pika.exceptions.AMQPError,
    ChannelInvalidStateError,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
)


def envelope_for(
    payload: Message, producer: str, cause: Envelope[Any] | None = None
) -> Envelope[Message]:
    """Wrap a payload, continuing the correlation of `cause`, else of the message being
    handled."""
    if cause is None:
        correlation, causation = correlation_id_var.get(), causation_id_var.get()
    else:
        correlation, causation = cause.correlation_id, cause.message_id
    return Envelope.wrap(
        payload, producer=producer, correlation_id=correlation, causation_id=causation
    )


async def write_outbox(conn: asyncpg.Connection, envelopes: Sequence[Envelope[Message]]) -> None:
    """Store announcements in the caller's transaction, in their order, in one statement
    (and so one wake-up of the relay)."""
    if not envelopes:
        return
    await conn.execute(
        "INSERT INTO outbox (message_id, correlation_id, routing_key, body) "
        "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[])",
        [e.message_id for e in envelopes],
        [e.correlation_id for e in envelopes],
        [e.payload.ROUTING_KEY for e in envelopes],
        [e.model_dump(mode="json") for e in envelopes],
    )


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channel: AbstractChannel,
        namespace: str,
        *,
        batch_size: int = 500,
        idle_wait: float = 1.0,
    ) -> None:
        self._pool = pool
        self._channel = channel
        self._namespace = namespace
        self._batch_size = batch_size
        self._idle_wait = idle_wait
        self._wake = asyncio.Event()
        self._exchange: AbstractExchange | None = None

    async def run(self) -> None:
        self._exchange = await declare_events_exchange(self._channel, self._namespace)
        listener = await self._pool.acquire()
        await listener.add_listener("outbox", self._on_notify)
        failures = 0
        try:
            while True:
                try:
                    await self._channel_ready()
                    published = await self.publish_batch()
                    failures = 0
                except RELAY_ERRORS as error:
                    failures += 1
                    OUTBOX_PUBLISH_FAILURES.inc()
                    log.warning("outbox_publish_failed", error=repr(error), failures=failures)
                    await asyncio.sleep(min(MAX_RETRY_PAUSE_SECONDS, 0.05 * 2**failures))
                    continue
                if published < self._batch_size:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._idle_wait)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener("outbox", self._on_notify)
            await self._pool.release(listener)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _channel_ready(self) -> None:
        """Wait (claiming nothing meanwhile) while the broker client reconnects and
        reopens the channel."""
        channel = self._channel
        if isinstance(channel, AbstractRobustChannel) and channel.is_closed:
            await channel.ready()

    async def publish_batch(self) -> int:
        assert self._exchange is not None, "run() declares the exchange first"
        exchange = self._exchange
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, message_id, correlation_id, routing_key, body::text AS body "
                "FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            if not rows:
                return 0
            # Confirms are awaited concurrently; frames still leave in row order.
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                await asyncio.gather(
                    *(
                        exchange.publish(
                            _amqp_message(row["body"], row["message_id"], row["correlation_id"]),
                            routing_key=row["routing_key"],
                        )
                        for row in rows
                    )
                )
            await conn.execute(
                "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
            )
        OUTBOX_PUBLISHED.inc(len(rows))
        for row in rows:
            MESSAGES_PUBLISHED.labels(row["routing_key"]).inc()
        return len(rows)


def _amqp_message(body: str, message_id: UUID, correlation_id: UUID) -> aio_pika.Message:
    return aio_pika.Message(
        body.encode(),
        message_id=str(message_id),
        correlation_id=str(correlation_id),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
