"""Notify's integration fixtures: a local HTTP SMS provider that records what it gets,
and a seeded world (users, organization, category tree, agent) published as events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest_asyncio
from desk_contracts import Envelope, Message
from desk_contracts.enums import Channel, Locale, Presence, Priority, Role, Scope
from desk_contracts.messages import (
    AgentProfileChanged,
    CategoryUpserted,
    IncidentAssigned,
    IncidentRegistered,
    OrganizationUpserted,
    UserUpserted,
)
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox, publish, wait_until


@dataclass
class SmsEndpoint:
    """A provider's HTTP API on a free local port: answers each POST with the next
    status of `script` (200 when it runs out) and records every request."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def delivered(self, phone: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["json"]["to"] == phone and r["status"] < 300]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in head.split("\r\n")[1:])
                    if name
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self.script.pop(0) if self.script else 200
                request = {"headers": headers, "json": json.loads(body), "status": status}
                self.requests.append(request)
                answer = json.dumps(
                    {"id": f"sms-{len(self.requests)}"} if status < 300 else {"error": "refused"}
                ).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture
async def sms() -> AsyncIterator[SmsEndpoint]:
    endpoint = SmsEndpoint()
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint.url = f"http://127.0.0.1:{port}/v1/messages"
    try:
        yield endpoint
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


@dataclass
class World:
    """The people and facts one test needs, already known to notify."""

    settings: DeskSettings
    organization_id: UUID
    requester: UserUpserted
    agent: UserUpserted
    manager: UserUpserted
    head: UserUpserted
    contact: UserUpserted
    category_path: tuple[str, ...] = ("fault", "software")

    async def send(self, message: Message) -> Envelope[Any]:
        envelope = Envelope.wrap(message, producer="test")
        await publish(self.settings, envelope)
        return envelope

    async def incident(
        self, notify: Service, title: str = "Invoices fail to print", *, assign: bool = True
    ) -> IncidentRegistered:
        registered = IncidentRegistered(
            incident_id=uuid4(),
            number=f"INC-{uuid4().int % 10**6:06d}",
            title=title,
            category_id=uuid4(),
            category_path=self.category_path,
            priority=Priority.HIGH,
            channel=Channel.PORTAL,
            requester_id=self.requester.user_id,
            organization_id=self.organization_id,
            registered_at=datetime.now(UTC),
        )
        await self.send(registered)
        await wait_until(
            lambda: notify.pool.fetchval(
                "SELECT 1 FROM incidents WHERE incident_id = $1", registered.incident_id
            )
        )
        if assign:
            await self.send(
                IncidentAssigned(
                    incident_id=registered.incident_id,
                    agent_id=self.agent.user_id,
                    reason="least loaded",
                    assigned_at=datetime.now(UTC),
                )
            )
            await wait_until(
                lambda: notify.pool.fetchval(
                    "SELECT 1 FROM incidents WHERE incident_id = $1 AND assignee_id IS NOT NULL",
                    registered.incident_id,
                )
            )
        return registered


def person(
    name: str, role: Role, locale: Locale, organization_id: UUID | None = None, **extra: Any
) -> UserUpserted:
    return UserUpserted(
        user_id=uuid4(),
        username=name.lower(),
        display_name=name,
        email=f"{name.lower()}@example.com",
        locale=locale,
        role=role,
        organization_id=organization_id,
        scope=Scope.OWN if role is Role.CLIENT else None,
        **extra,
    )


async def seed_world(settings: DeskSettings, notify: Service) -> World:
    organization_id = uuid4()
    world = World(
        settings=settings,
        organization_id=organization_id,
        requester=person("Rita", Role.CLIENT, Locale.RU, organization_id, phone="+79990001122"),
        agent=person("Anna", Role.AGENT, Locale.EN, phone="+15550001111"),
        manager=person("Mike", Role.MANAGER, Locale.EN),
        head=person("Helen", Role.HEAD, Locale.EN),
        contact=person("Pavel", Role.HEAD, Locale.RU),
    )
    for user in (world.requester, world.agent, world.manager, world.head, world.contact):
        await world.send(user)
    await world.send(
        OrganizationUpserted(
            organization_id=organization_id,
            name="Acme",
            account_manager_id=world.manager.user_id,
        )
    )
    fault, software = uuid4(), uuid4()
    await world.send(
        CategoryUpserted(category_id=fault, path=("fault",), name="Fault", colour="#d32f2f")
    )
    await world.send(
        CategoryUpserted(
            category_id=software,
            parent_id=fault,
            path=("fault", "software"),
            name="Software",
            colour="#e53935",
            escalation_contact_id=world.contact.user_id,
        )
    )
    await world.send(
        AgentProfileChanged(
            agent_id=world.agent.user_id,
            skills=((),),
            capacity=5,
            presence=Presence.ONLINE,
            group_head_id=world.head.user_id,
        )
    )

    async def known() -> bool:
        counts = await notify.pool.fetchrow(
            "SELECT (SELECT count(*) FROM contacts) AS contacts,"
            " (SELECT count(*) FROM organizations) AS organizations,"
            " (SELECT count(*) FROM categories) AS categories,"
            " (SELECT count(*) FROM agents) AS agents"
        )
        return tuple(counts) == (5, 1, 2, 1)

    await wait_until(known)
    return world


Starter = Callable[..., Any]


@pytest_asyncio.fixture
async def start_notify(
    desk_settings: DeskSettings, smtp: tuple[int, Mailbox], sms: SmsEndpoint
) -> AsyncIterator[Starter]:
    """Starts notify in-process with fast retries; every instance is stopped at the end."""
    from notify.app import build

    running: list[Service] = []

    async def start(**overrides: Any) -> Service:
        settings = desk_settings.replaced(
            **{
                "smtp_port": smtp[0],
                "sms_url": sms.url,
                "sms_token": "sms-secret",
                "notify_retry_base_seconds": 0.1,
                "notify_max_attempts": 3,
                # One message per change unless a test opens a grouping window.
                "notify_group_seconds": 0,
                **overrides,
            }
        )
        service = build(settings)
        await service.start()
        running.append(service)
        return service

    try:
        yield start
    finally:
        for service in running:
            await service.stop()
