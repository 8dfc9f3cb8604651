"""Consuming one queue's deliveries behind the inbox: in batches (one transaction for
the deliveries that queued up together), alone when a batch fails, parked when a fact
they build on is not known yet. `Service` consumes through these; handlers never see
any of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from desk_contracts import Envelope
from faststream.exceptions import NackMessage

from . import inbox, parking
from .context import message_context
from .errors import NotYet
from .failures import record_failure
from .handlers import EventHandler
from .logging import get_logger
from .metrics import (
    INBOX_DUPLICATES,
    MESSAGE_BATCH_SIZE,
    MESSAGE_HANDLING_SECONDS,
    MESSAGES_CONSUMED,
)
from .unit_of_work import TransactionEnd, UnitOfWork, close_transaction

if TYPE_CHECKING:
    from .batching import Delivery
    from .service import Service

log = get_logger(__name__)


async def process_batch(
    service: Service, queue_name: str, batch: list[Delivery], handler: EventHandler
) -> None:
    """Several deliveries of one queue in one transaction: one BEGIN, one inbox
    statement and one COMMIT for all of them. Any failure rolls the whole batch back
    and each delivery is then handled alone, so only the failing one is retried."""
    MESSAGE_BATCH_SIZE.labels(queue_name).observe(len(batch))
    if len(batch) == 1:
        await settle(batch[0], process(service, queue_name, batch[0].envelope, handler))
        return
    # Row locks are taken in incident order, so two batches never wait on each other
    # in a circle (the sort is stable: one incident's messages keep their order).
    batch.sort(key=lambda d: str(getattr(d.envelope.payload, "incident_id", "")))
    started = time.perf_counter()
    handled: list[Delivery] = []
    duplicates: list[Delivery] = []
    end = TransactionEnd()
    try:
        async with service.pool.acquire() as conn, conn.transaction():
            fresh = await inbox.claim(conn, queue_name, [d.envelope.message_id for d in batch])
            for delivery in batch:
                envelope = delivery.envelope
                if envelope.message_id not in fresh:
                    duplicates.append(delivery)
                    continue
                fresh.discard(envelope.message_id)  # a second copy in the batch
                with message_context(envelope):
                    await handler(envelope.payload, UnitOfWork(conn, service, envelope, end=end))
                handled.append(delivery)
            await close_transaction(conn, service, end)
    except Exception as error:
        log.warning("message_batch_failed", queue=queue_name, size=len(batch), error=repr(error))
        # Alone and side by side, as they would have run without batching, while the
        # next batch goes on: a delivery that waits on another queue (a fact not known
        # yet) and backs off delays none of the rest.
        for delivery in batch:
            task = asyncio.create_task(
                settle(delivery, process(service, queue_name, delivery.envelope, handler))
            )
            service._alone.add(task)
            task.add_done_callback(service._alone.discard)
        return
    elapsed = (time.perf_counter() - started) / len(batch)
    end.committed()
    for delivery in handled:
        MESSAGES_CONSUMED.labels(queue_name, "ok").inc()
        MESSAGE_HANDLING_SECONDS.labels(queue_name).observe(elapsed)
        # Each message keeps its own line, with its correlation and incident ids.
        with message_context(delivery.envelope):
            log.info("message_handled", queue=queue_name, batch=len(batch))
        delivery.done.set_result(None)
    for delivery in duplicates:
        INBOX_DUPLICATES.labels(queue_name).inc()
        MESSAGES_CONSUMED.labels(queue_name, "duplicate").inc()
        delivery.done.set_result(None)


async def settle(delivery: Delivery, work: Awaitable[None]) -> None:
    try:
        await work
    except BaseException as error:
        delivery.done.set_exception(error)
    else:
        delivery.done.set_result(None)


async def process(
    service: Service, queue_name: str, envelope: Envelope[Any], handler: EventHandler
) -> None:
    started = time.perf_counter()
    try:
        with message_context(envelope):
            try:
                try:
                    outcome = await handle(service, queue_name, envelope, handler)
                except NotYet as waiting:
                    # Parked, unless the fact committed meanwhile (desk_runtime.parking).
                    outcome = await handle(service, queue_name, envelope, handler, waiting)
            except Exception as error:
                MESSAGES_CONSUMED.labels(queue_name, "failed").inc()
                log.exception("message_handling_failed", queue=queue_name, error=repr(error))
                await record_failure(service.pool, queue_name, envelope.message_id, error)
                # Back off a little so a transient cause (a database restart) has a
                # chance before the next delivery.
                await asyncio.sleep(0.2)
                raise NackMessage() from error
            MESSAGES_CONSUMED.labels(queue_name, outcome).inc()
            if outcome == "duplicate":
                INBOX_DUPLICATES.labels(queue_name).inc()
                log.info("message_duplicate_skipped", queue=queue_name)
            elif outcome == "ok":
                log.info("message_handled", queue=queue_name)
    finally:
        MESSAGE_HANDLING_SECONDS.labels(queue_name).observe(time.perf_counter() - started)


async def handle(
    service: Service,
    queue_name: str,
    envelope: Envelope[Any],
    handler: EventHandler,
    waiting: NotYet | None = None,
) -> str:
    """One delivery in one transaction with its inbox row: "ok", "duplicate", or,
    when it `waiting` for a fact, "parked" if the fact is still missing under its
    lock."""
    end = TransactionEnd()
    async with service.pool.acquire() as conn, conn.transaction():
        if waiting is not None:
            await parking.lock_facts(conn, [waiting.fact])
        if not await inbox.claim(conn, queue_name, [envelope.message_id]):
            return "duplicate"
        if waiting is None:
            await handler(envelope.payload, UnitOfWork(conn, service, envelope, end=end))
        elif not await parking.handle_or_park(
            service, conn, envelope, handler, end, locked={waiting.fact}
        ):
            return "parked"
        await close_transaction(conn, service, end)
    end.committed()
    return "ok"
