"""DESK_DEMO=1 through the real desk: a fresh namespace has the whole demo (its month of
past incidents in every service that keeps them, once), and what an admin changed
afterwards (an agent's capacity, a user's name, an organization's contract) survives a
restart of the gateway, which seeds the demo at every start — in the gateway and in
every service that keeps a copy (routing, notify, sla)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from desk_contracts import Envelope, Message
from desk_contracts.enums import Role
from desk_contracts.messages import OrganizationUpserted, UpsertAgentProfile, UserUpserted
from desk_runtime.testing import Infrastructure, Mailbox, publish, wait_until
from portal_gateway.seed import demo_month_plan

from .conftest import RunningDesk, demo_id, running_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    """The demo desk as `make run` starts it: with its month of past incidents."""
    async with running_desk(infra, smtp_module[0], demo_month=True) as running:
        yield running


ACME = demo_id("organization:Acme Manufacturing")
ANNA = demo_id("user:anna")
BORIS = demo_id("user:boris")
ALICE = demo_id("user:alice")


async def call(
    desk: RunningDesk, token: str, method: str, path: str, status: int = 200, **kwargs: Any
) -> Any:
    async with desk.client() as http:
        response = await http.request(
            method, path, headers={"authorization": f"Bearer {token}"}, **kwargs
        )
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def fetchval(desk: RunningDesk, service: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(desk.settings.database_url(service))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def agent(desk: RunningDesk, token: str, agent_id: UUID) -> dict[str, Any] | None:
    async with desk.client() as http:
        response = await http.get(
            f"/api/v1/agents/{agent_id}", headers={"authorization": f"Bearer {token}"}
        )
    if response.status_code == 404:
        return None  # the demo's profile is still on its way to routing
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def category_count(desk: RunningDesk, token: str, count: int) -> bool:
    page = await call(desk, token, "GET", "/api/v1/categories")
    return len(page["items"]) == count


async def month_counts(desk: RunningDesk, size: int) -> bool:
    """Each service keeps the demo month's incidents once (none filed besides here)."""
    counts = [
        await fetchval(desk, "intake", "SELECT count(*) FROM incidents"),
        await fetchval(desk, "sla", "SELECT count(*) FROM incident_clocks"),
        await fetchval(desk, "routing", "SELECT count(*) FROM staffing_incidents"),
        await fetchval(desk, "notify", "SELECT count(*) FROM incidents"),
        await fetchval(desk, "knowledge", "SELECT count(*) FROM incidents"),
    ]
    assert max(counts) <= size, counts
    return counts == [size] * len(counts)


async def restart_gateway(desk: RunningDesk) -> None:
    await desk.restart("portal-gateway")

    async def ready() -> bool:
        assert "portal-gateway" not in desk.group.exited(), desk.log()[-4000:]
        async with desk.client() as http:
            try:
                return (await http.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

    await wait_until(ready, timeout=90, interval=0.3)


async def everything_sent_has_been_handled(desk: RunningDesk) -> None:
    """Once the gateway's outbox is empty, all it sent at its start is in the consumers'
    queues; a marker sent after it to each queue of a seeded kind is handled after it."""

    async def outbox_empty() -> bool:
        return await fetchval(desk, "portal-gateway", "SELECT count(*) FROM outbox") == 0

    await wait_until(outbox_empty, timeout=30, interval=0.2)
    markers: list[tuple[Message, tuple[str, ...]]] = [
        (UpsertAgentProfile(agent_id=uuid4()), ("routing",)),
        (
            UserUpserted(
                user_id=uuid4(), username=f"m{uuid4().hex[:8]}", display_name="M", role=Role.AGENT
            ),
            ("routing", "notify"),
        ),
        (OrganizationUpserted(organization_id=uuid4(), name="marker"), ("sla", "notify")),
    ]
    for payload, services in markers:
        envelope = Envelope.wrap(payload, producer="test")
        await publish(desk.settings, envelope)
        for service in services:

            async def handled(
                service: str = service, message_id: UUID = envelope.message_id
            ) -> bool:
                return bool(
                    await fetchval(
                        desk, service, "SELECT 1 FROM inbox WHERE message_id = $1", message_id
                    )
                )

            await wait_until(handled, timeout=30, interval=0.2)


async def test_what_an_admin_changed_survives_a_restart_of_the_demo_desk(
    desk: RunningDesk,
) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    # A fresh namespace: the whole demo, everywhere.
    anna = await wait_until(lambda: agent(desk, admin, ANNA), timeout=30, interval=0.2)
    boris = await wait_until(lambda: agent(desk, admin, BORIS), timeout=30, interval=0.2)
    assert (anna["capacity"], boris["capacity"]) == (5, 3)
    await wait_until(lambda: category_count(desk, admin, 8), timeout=30, interval=0.2)
    users = {u["username"] for u in (await call(desk, admin, "GET", "/api/v1/users"))["items"]}
    assert {"anna", "boris", "helen", "mike", "alice", "carl"} <= users
    # The demo month, written by every service that keeps facts of incidents.
    month_sent = await fetchval(
        desk, "portal-gateway", "SELECT seeded_at FROM demo_seeded WHERE item = 'history:month'"
    )
    incidents, _ = demo_month_plan(month_sent)
    await wait_until(lambda: month_counts(desk, len(incidents)), timeout=120, interval=0.5)

    # The admin's changes, each seen where it is kept.
    changed = await call(desk, admin, "PATCH", f"/api/v1/agents/{ANNA}", json={"capacity": 4})
    assert changed["capacity"] == 4
    await call(
        desk, admin, "PATCH", f"/api/v1/users/{ALICE}", json={"display_name": "Alice Renamed"}
    )
    calendar = await call(
        desk,
        admin,
        "POST",
        "/api/v1/calendars",
        201,
        json={"name": "Always", "time_zone": "UTC", "always_open": True},
    )
    contract = await call(
        desk,
        admin,
        "POST",
        "/api/v1/contracts",
        201,
        json={
            "name": "Acme's own",
            "calendar_id": calendar["calendar_id"],
            "targets": [{"response_seconds": 3600, "resolution_seconds": 7200}],
        },
    )
    contract_id = UUID(contract["contract_id"])
    await call(
        desk,
        admin,
        "PATCH",
        f"/api/v1/organizations/{ACME}",
        json={"contract_id": str(contract_id)},
    )

    async def copies() -> tuple[Any, Any]:
        return (
            await fetchval(
                desk, "notify", "SELECT display_name FROM contacts WHERE user_id = $1", ALICE
            ),
            await fetchval(
                desk,
                "sla",
                "SELECT contract_id FROM organization_contracts WHERE organization_id = $1",
                ACME,
            ),
        )

    expected = ("Alice Renamed", contract_id)

    async def copied() -> bool:
        return await copies() == expected

    await wait_until(copied, timeout=30, interval=0.2)

    await restart_gateway(desk)
    await everything_sent_has_been_handled(desk)

    anna = await agent(desk, admin, ANNA)
    assert anna is not None
    assert anna["capacity"] == 4
    assert (
        await fetchval(desk, "routing", "SELECT capacity FROM agents WHERE agent_id = $1", ANNA)
        == 4
    )
    alice = await call(desk, admin, "GET", f"/api/v1/users/{ALICE}")
    assert alice["display_name"] == "Alice Renamed"
    assert await copies() == expected
    # The month was not sent again, and nothing of it was written twice anywhere.
    assert (
        await fetchval(
            desk,
            "portal-gateway",
            "SELECT seeded_at FROM demo_seeded WHERE item = 'history:month'",
        )
        == month_sent
    )
    assert await month_counts(desk, len(incidents))
    # Nothing the demo has was lost either.
    assert await category_count(desk, admin, 8)
    assert (await agent(desk, admin, BORIS) or {}).get("capacity") == 3
