"""Declares the namespace's whole topology, so no message is published before its queue
exists (a message to an exchange without a bound queue is dropped silently)."""

from __future__ import annotations

from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange
from desk_contracts import Message, RequestReply
from desk_contracts.topology import (
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EVENTS_EXCHANGE,
    QUERIES,
    SUBSCRIPTIONS,
    consumer_queue,
    dead_letter_queue,
    exchange_name,
    rpc_queue,
)


def consumer_queue_arguments(namespace: str, queue: str) -> dict[str, Any]:
    """Quorum queue that dead-letters a message after DELIVERY_LIMIT deliveries."""
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": exchange_name(namespace, DEAD_LETTER_EXCHANGE),
        "x-dead-letter-routing-key": queue,
        "x-delivery-limit": DELIVERY_LIMIT,
    }


DEAD_LETTER_QUEUE_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum"}


async def declare_events_exchange(channel: AbstractChannel, namespace: str) -> AbstractExchange:
    return await channel.declare_exchange(
        exchange_name(namespace, EVENTS_EXCHANGE), aio_pika.ExchangeType.TOPIC, durable=True
    )


async def declare_consumer_queue(
    channel: AbstractChannel, namespace: str, service: str, message: type[Message]
) -> None:
    events = await declare_events_exchange(channel, namespace)
    dead_letters = await channel.declare_exchange(
        exchange_name(namespace, DEAD_LETTER_EXCHANGE), aio_pika.ExchangeType.DIRECT, durable=True
    )
    name = consumer_queue(namespace, service, message)
    parked = await channel.declare_queue(
        dead_letter_queue(name), durable=True, arguments=DEAD_LETTER_QUEUE_ARGUMENTS
    )
    await parked.bind(dead_letters, routing_key=name)
    queue = await channel.declare_queue(
        name, durable=True, arguments=consumer_queue_arguments(namespace, name)
    )
    await queue.bind(events, routing_key=message.ROUTING_KEY)


async def declare_rpc_queue(
    channel: AbstractChannel, namespace: str, asked: type[RequestReply[Any]]
) -> None:
    # Classic and not dead-lettered: an unanswered question expires with its asker's patience.
    await channel.declare_queue(rpc_queue(namespace, asked), durable=True)


async def declare_topology(channel: AbstractChannel, namespace: str) -> None:
    await declare_events_exchange(channel, namespace)
    for service, consumed in SUBSCRIPTIONS.items():
        for message in consumed:
            await declare_consumer_queue(channel, namespace, service, message)
    for answered in QUERIES.values():
        for asked in answered:
            await declare_rpc_queue(channel, namespace, asked)
