"""The demo seed (DESK_DEMO=1) against the real database and broker: a fresh namespace
gets the whole demo with its month of history; a restart adds only what is missing and
announces nothing an admin may have changed since (names, an organization's contract,
categories, capacities), nor the month again."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
from desk_contracts.messages import (
    OrganizationUpserted,
    SeedArticle,
    SeedIncidentHistory,
    SeedPackage,
    SeedPresenceHistory,
    UpsertAgentProfile,
    UpsertCategory,
    UpsertEquipment,
    UserUpserted,
)
from desk_contracts.topology import EVENTS_EXCHANGE, exchange_name
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import wait_until
from desk_runtime.topology import declare_topology
from portal_gateway.app import build_service
from portal_gateway.domain.knowledge.demo import DEMO_ARTICLES
from portal_gateway.domain.packages.demo import demo_packages
from portal_gateway.seed import (
    ACME,
    DEMO_AGENTS,
    DEMO_CATEGORIES,
    DEMO_EQUIPMENT,
    DEMO_ORGANIZATIONS,
    DEMO_USERS,
    HISTORY_BATCH,
    category_id,
    demo_id,
    demo_month_plan,
)

pytestmark = pytest.mark.integration

SEEDED = (
    OrganizationUpserted,
    UserUpserted,
    UpsertCategory,
    UpsertAgentProfile,
    UpsertEquipment,
    SeedArticle,
    SeedIncidentHistory,
    SeedPresenceHistory,
    SeedPackage,
)


class Heard:
    """What the gateway sends of the seed's kinds, as a subscriber receives it: each
    message once (the outbox publishes at least once, so a stop between the broker's
    confirm and the relay's commit sends a batch again, with the same message ids, and
    the consumers' inbox drops the copy)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.seen: set[str] = set()

    def add(self, envelope: dict[str, Any]) -> None:
        if envelope["message_id"] not in self.seen:
            self.seen.add(envelope["message_id"])
            self.messages.append(envelope)

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        taken, self.messages = self.messages, []
        return [(m["type"], m["payload"]) for m in taken]


@contextlib.asynccontextmanager
async def heard(settings: DeskSettings) -> AsyncIterator[Heard]:
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        # Bound before the gateway first starts, so its very first messages are heard.
        await declare_topology(channel, settings.namespace)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for model in SEEDED:
            await queue.bind(exchange_name(settings.namespace, EVENTS_EXCHANGE), model.ROUTING_KEY)
        collected = Heard()

        async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            collected.add(json.loads(message.body))

        await queue.consume(collect, no_ack=True)
        yield collected
    finally:
        await connection.close()


async def start_gateway(settings: DeskSettings, heard: Heard) -> Service:
    """A gateway process's start (migrations, bootstrap admin, demo seed, outbox relay),
    then a marker sent through its outbox: the relay publishes in order, so once the
    marker is heard, whatever the start sent has been heard before it."""
    service = build_service(settings)
    await service.start()
    marker = OrganizationUpserted(organization_id=uuid4(), name="marker")
    async with service.transaction() as uow:
        await uow.publish(marker)

    def marker_heard() -> bool:
        return any(
            m["payload"].get("organization_id") == str(marker.organization_id)
            for m in heard.messages
        )

    await wait_until(marker_heard, timeout=30)
    heard.messages = [
        m
        for m in heard.messages
        if m["payload"].get("organization_id") != str(marker.organization_id)
    ]
    return service


@pytest.fixture
def demo_settings(desk_settings: DeskSettings) -> DeskSettings:
    return desk_settings.model_copy(update={"demo": True, "admin_password": "admin-password"})


async def test_a_fresh_namespace_gets_the_whole_demo(demo_settings: DeskSettings) -> None:
    async with heard(demo_settings) as messages:
        service = await start_gateway(demo_settings, messages)
        try:
            users = {
                row["username"]: row["display_name"]
                for row in await service.pool.fetch("SELECT username, display_name FROM users")
            }
        finally:
            await service.stop()
    sent = messages.take()
    assert users == {"admin": "Administrator"} | {u.username: u.display_name for u in DEMO_USERS}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for kind, payload in sent:
        by_type.setdefault(kind, []).append(payload)
    organizations = by_type["organization.upserted"]
    assert [o["name"] for o in organizations] == [name for name, _ in DEMO_ORGANIZATIONS]
    packages = {p["contract"]["name"]: p["contract_id"] for p in by_type["sla.package.seed"]}
    assert set(packages) == {"Standard", "Premium 24/7"}
    # Each organization on its package.
    assert {o["name"]: o["contract_id"] for o in organizations} == {
        name: packages[package] for name, package in DEMO_ORGANIZATIONS
    }
    assert sorted(u["username"] for u in by_type["user.upserted"]) == sorted(users)
    assert [c["category_id"] for c in by_type["intake.category.upsert"]] == [
        str(category_id(path)) for path, *_ in DEMO_CATEGORIES
    ]
    assert {a["agent_id"]: a["capacity"] for a in by_type["routing.agent.upsert"]} == {
        str(demo_id(f"user:{name}")): capacity for name, _, capacity in DEMO_AGENTS
    }
    devices = by_type["assets.equipment.upsert"]
    assert len({d["equipment_id"] for d in devices}) == len(DEMO_EQUIPMENT)
    assert {d["organization_id"] for d in devices} == {str(demo_id(f"organization:{ACME}"))}
    articles = by_type["knowledge.article.seed"]
    assert [a["article_id"] for a in articles] == [
        str(demo_id(f"article:{a.slug}")) for a in DEMO_ARTICLES
    ]
    assert all(a["history"] for a in articles)
    # The demo month: its incidents to intake in batches, the agents' shifts to routing.
    incidents, stretches = demo_month_plan(datetime.now(UTC))
    batches = by_type["intake.history.seed"]
    assert [i["incident_id"] for b in batches for i in b["incidents"]] == [
        str(i.incident_id) for i in incidents
    ]
    assert len(batches) == -(-len(incidents) // HISTORY_BATCH)
    [presence] = by_type["routing.presence_history.seed"]
    assert len(presence["stretches"]) == len(stretches)
    assert len(sent) == (
        len(DEMO_ORGANIZATIONS)
        + len(packages)
        + len(users)
        + len(DEMO_CATEGORIES)
        + len(DEMO_AGENTS)
        + len(DEMO_EQUIPMENT)
        + len(DEMO_ARTICLES)
        + len(batches)
        + 1
    )


async def test_a_restart_seeds_what_is_missing_and_overwrites_nothing(
    demo_settings: DeskSettings,
) -> None:
    contract = uuid4()
    async with heard(demo_settings) as messages:
        service = await start_gateway(demo_settings, messages)
        assert len(messages.take()) > 0
        # What an admin may do meanwhile: rename a user, give the organization a contract…
        await service.pool.execute(
            "UPDATE users SET display_name = 'Alice Renamed' WHERE username = 'alice'"
        )
        await service.pool.execute(
            "UPDATE organizations SET contract_id = $1 WHERE id = $2",
            contract,
            demo_id(f"organization:{ACME}"),
        )
        # …and what a later demo may add: a user and an agent profile it did not have.
        await service.pool.execute("DELETE FROM users WHERE username = 'carl'")
        await service.pool.execute("DELETE FROM demo_seeded WHERE item = 'agent:boris'")
        await service.stop()

        service = await start_gateway(demo_settings, messages)
        try:
            alice = await service.pool.fetchval(
                "SELECT display_name FROM users WHERE username = 'alice'"
            )
            acme_contract = await service.pool.fetchval(
                "SELECT contract_id FROM organizations WHERE id = $1",
                demo_id(f"organization:{ACME}"),
            )
            carl = await service.pool.fetchval("SELECT 1 FROM users WHERE username = 'carl'")
        finally:
            await service.stop()
    assert alice == "Alice Renamed"
    assert acme_contract == contract
    assert carl == 1
    sent = messages.take()
    assert sorted(kind for kind, _ in sent) == ["routing.agent.upsert", "user.upserted"]
    assert {p.get("username") or p.get("agent_id") for _, p in sent} == {
        "carl",
        str(demo_id("user:boris")),
    }


async def test_a_desk_seeded_before_the_record_was_kept_is_not_seeded_again(
    demo_settings: DeskSettings,
) -> None:
    async with heard(demo_settings) as messages:
        service = await start_gateway(demo_settings, messages)
        messages.take()
        # As an earlier version left it: every demo row there, no record of the commands.
        await service.pool.execute("DELETE FROM demo_seeded")
        await service.stop()

        service = await start_gateway(demo_settings, messages)
        try:
            recorded = await service.pool.fetchval("SELECT count(*) FROM demo_seeded")
        finally:
            await service.stop()
    assert messages.take() == []
    # Recorded now, so a later start knows without guessing (the month too).
    assert recorded == (
        len(DEMO_CATEGORIES)
        + len(DEMO_AGENTS)
        + len(DEMO_EQUIPMENT)
        + len(DEMO_ARTICLES)
        + len(demo_packages(demo_id))  # the packages
        + len(DEMO_ORGANIZATIONS)  # each organization put on its package
        + 1  # the month
    )


async def test_an_organization_seeded_before_the_packages_is_put_on_its_package_once(
    demo_settings: DeskSettings,
) -> None:
    acme = demo_id(f"organization:{ACME}")
    async with heard(demo_settings) as messages:
        service = await start_gateway(demo_settings, messages)
        messages.take()
        # As a desk seeded before the packages left it: Acme on no contract, no record.
        await service.pool.execute(
            "UPDATE organizations SET contract_id = NULL WHERE id = $1", acme
        )
        await service.pool.execute(
            "DELETE FROM demo_seeded WHERE item LIKE 'organization-package:%'"
        )
        await service.stop()
        service = await start_gateway(demo_settings, messages)
        # Put on it once: an admin who takes it off again is not overruled.
        await service.pool.execute(
            "UPDATE organizations SET contract_id = NULL WHERE id = $1", acme
        )
        await service.stop()
        service = await start_gateway(demo_settings, messages)
        try:
            contract = await service.pool.fetchval(
                "SELECT contract_id FROM organizations WHERE id = $1", acme
            )
        finally:
            await service.stop()
    (announced,) = [p for kind, p in messages.take() if kind == "organization.upserted"]
    assert announced["contract_id"] == str(demo_id("package:Standard"))
    assert contract is None


async def test_without_demo_only_the_admin_is_created(desk_settings: DeskSettings) -> None:
    settings = desk_settings.model_copy(update={"admin_password": "admin-password"})
    async with heard(settings) as messages:
        service = await start_gateway(settings, messages)
        try:
            users = await service.pool.fetch("SELECT username FROM users")
        finally:
            await service.stop()
        # The admin is announced once; a second start creates and announces nothing.
        assert [kind for kind, _ in messages.take()] == ["user.upserted"]
        service = await start_gateway(settings, messages)
        await service.stop()
    assert [row["username"] for row in users] == ["admin"]
    assert messages.take() == []
