"""Deliveries of one queue that arrive while its previous transaction is under way go
into the next transaction together; each still waits for its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desk_contracts import Envelope

from . import consuming

if TYPE_CHECKING:
    from .service import Service
    from .unit_of_work import UnitOfWork

EventHandler = Callable[[Any, "UnitOfWork"], Awaitable[None]]


@dataclass
class Delivery:
    envelope: Envelope[Any]
    done: asyncio.Future[None]


# At most this many deliveries of one queue share a transaction.
MAX_BATCH = 50


class Batcher:
    """Gathers the deliveries of one queue that arrive while its previous transaction is
    under way and hands them to the next one together. Idle, a delivery is handled at
    once on its own; under load the batches grow by themselves, and each message still
    waits for its own outcome (acked after the commit, retried alone on a failure)."""

    def __init__(self, service: Service, queue_name: str, handler: EventHandler) -> None:
        self.service = service
        self.queue_name = queue_name
        self.handler = handler
        self.waiting: list[Delivery] = []
        self.worker: asyncio.Task[None] | None = None

    async def submit(self, envelope: Envelope[Any]) -> None:
        delivery = Delivery(envelope, asyncio.get_running_loop().create_future())
        self.waiting.append(delivery)
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._drain())
        await asyncio.shield(delivery.done)

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                await consuming.process_batch(self.service, self.queue_name, batch, self.handler)
            except BaseException as error:
                for delivery in batch:
                    if not delivery.done.done():
                        delivery.done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    for delivery in self.waiting:
                        delivery.done.cancel()
                    self.waiting.clear()
                    raise
