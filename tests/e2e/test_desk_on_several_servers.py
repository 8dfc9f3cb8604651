"""The desk spread over servers by configuration alone (SPEC §9): intake on a PostgreSQL
server of its own (DESK_POSTGRES_URL_INTAKE) while the other services share one, and a
list of broker hosts (DESK_AMQP_URL) whose first one is down."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    drop_namespace,
    free_port,
    second_postgres_server,
    wait_until,
)

from .conftest import RunningDesk, demo_id, poll_incident, start_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def intake_server() -> Iterator[str]:
    with second_postgres_server(Path(tempfile.mkdtemp(prefix="desk-pg-"))) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def spread_desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox], intake_server: str
) -> AsyncIterator[RunningDesk]:
    broker = urlsplit(infra.amqp_url)
    closed = urlunsplit(broker._replace(netloc=f"{broker.netloc.rsplit(':', 1)[0]}:{free_port()}"))
    listed = Infrastructure(infra.postgres_url, f"{closed},{infra.amqp_url}")
    running, log_file = await start_desk(
        listed, smtp_module[0], postgres_urls={"intake": intake_server}
    )
    try:
        yield running
    finally:
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


async def _databases(url: str, namespace: str) -> set[str]:
    conn = await asyncpg.connect(f"{url}/postgres")
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{namespace}%"
        )
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


async def test_intake_keeps_its_incidents_on_its_own_server(
    spread_desk: RunningDesk, infra: Infrastructure, intake_server: str
) -> None:
    desk = spread_desk
    namespace = desk.settings.namespace
    token = await desk.token("alice")
    auth = {"authorization": f"Bearer {token}"}

    async def create() -> dict[str, str] | None:
        async with desk.client() as http:
            response = await http.post(
                "/api/v1/incidents",
                headers=auth,
                json={
                    "title": "Scanner on floor 2 is offline",
                    "description": "Since the power cut",
                    "category_id": str(demo_id("category:fault/software")),
                    "priority": "high",
                },
            )
        # The demo categories reach intake through the broker right after start.
        if response.status_code == 422 and "category_id" in response.text:
            return None
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return body

    created = await wait_until(create, timeout=20, interval=0.2)
    # Assigned by routing and given due times by sla, both on the shared server.
    incident = await poll_incident(
        desk,
        token,
        created["id"],
        lambda body: body["status"] == "assigned" and body["resolution_due"] is not None,
    )
    assert incident["number"] == created["number"]

    own = await asyncpg.connect(desk.settings.database_url("intake"))
    try:
        stored = await own.fetchval("SELECT count(*) FROM incidents WHERE id = $1", created["id"])
    finally:
        await own.close()
    assert stored == 1
    assert await _databases(intake_server, namespace) == {f"{namespace}_intake"}
    shared = await _databases(infra.postgres_url, namespace)
    assert f"{namespace}_intake" not in shared
    assert {f"{namespace}_{s}" for s in ("portal_gateway", "sla", "routing", "notify")} <= shared


async def test_every_service_went_past_the_closed_broker_host(spread_desk: RunningDesk) -> None:
    # The incident above went through the broker from service to service; each one's
    # log says it found the first host closed before it connected to the second.
    log = spread_desk.log()
    for service in ("intake", "sla", "routing", "notify", "portal-gateway"):
        assert any(
            "broker_host_unreachable" in line and line.split("|")[0].strip() == service
            for line in log.splitlines()
        ), service
