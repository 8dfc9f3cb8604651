"""Removing a whole desk: every database, queue and exchange of one namespace."""

from __future__ import annotations

import contextlib

from desk_contracts.topology import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    SERVICES,
    all_queues,
    exchange_name,
)

from .broker import connect_first
from .db import drop_database
from .settings import DeskSettings


async def drop_namespace(settings: DeskSettings) -> list[str]:
    """Drops the namespace's databases, queues (with their dead letters) and exchanges;
    returns the names of what it removed or found absent. Running services of the
    namespace are disconnected (their databases are dropped WITH (FORCE))."""
    removed = []
    # A queue or exchange already gone closes its channel with an error: nothing to do.
    for service in SERVICES:
        await drop_database(settings, service)
        removed.append(settings.database_name(service))
    connection = await connect_first(settings.amqp_urls)
    try:
        for queue in all_queues(settings.namespace):
            for name in (queue.name, queue.dead_letters):
                if name is None:
                    continue
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.queue_delete(name)
                    removed.append(name)
                with contextlib.suppress(Exception):
                    await channel.close()
        for exchange in (EVENTS_EXCHANGE, DEAD_LETTER_EXCHANGE):
            name = exchange_name(settings.namespace, exchange)
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.exchange_delete(name)
                removed.append(name)
            with contextlib.suppress(Exception):
                await channel.close()
    finally:
        await connection.close()
    return removed
