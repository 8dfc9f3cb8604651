"""Assets' integration fixtures: the service started in-process on the real servers,
a request/reply client to ask it as the gateway does, and a queue of our own bound to
the events it announces."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import aio_pika
import pytest_asyncio
from assets.app import build
from desk_contracts.enums import Role, Scope
from desk_contracts.messages import Principal
from desk_contracts.topology import EVENTS_EXCHANGE, exchange_name
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

ORG = uuid4()
OTHER_ORG = uuid4()
AGENT = Principal(user_id=uuid4(), role=Role.AGENT)
MANAGER = Principal(user_id=uuid4(), role=Role.MANAGER)
CLIENT = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=ORG, scope=Scope.OWN)
STRANGER = Principal(
    user_id=uuid4(), role=Role.CLIENT, organization_id=OTHER_ORG, scope=Scope.ORGANIZATION
)


@dataclass
class Heard:
    """The events of one routing key, each once: the outbox publishes at least once
    (a stop between the broker's confirm and the relay's commit sends a row again, with
    its message id), and a consumer's inbox drops the copy, as this does."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, body: dict[str, Any]) -> None:
        if body["message_id"] not in self.seen:
            self.seen.add(body["message_id"])
            self.bodies.append(body)


@dataclass
class Assets:
    settings: DeskSettings
    ask: RpcClient
    running: list[Service]
    heard: Heard
    stopped: bool = False

    @property
    def service(self) -> Service:
        return self.running[-1]

    async def stop(self) -> None:
        if not self.stopped:
            await self.running[-1].stop()
            self.stopped = True

    async def restart(self) -> Service:
        """A new process, as after a crash or a deployment: a service of its own."""
        await self.stop()
        service = build(self.settings)
        await service.start()
        self.running.append(service)
        self.stopped = False
        return service


@pytest_asyncio.fixture
async def assets(desk_settings: DeskSettings) -> AsyncIterator[Assets]:
    service = build(desk_settings)
    await service.start()
    connection = await aio_pika.connect_robust(desk_settings.amqp_url)
    client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "test", 10)
    await client.connect(connection)
    heard = Heard()
    channel = await connection.channel()
    exchange = await channel.get_exchange(exchange_name(desk_settings.namespace, EVENTS_EXCHANGE))
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key="equipment.notice_due")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            heard.add(json.loads(message.body))

    await queue.consume(on_message)
    world = Assets(desk_settings, client, [service], heard)
    try:
        yield world
    finally:
        await client.close()
        await connection.close()
        await world.stop()
