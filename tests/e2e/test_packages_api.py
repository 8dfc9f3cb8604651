"""Packages through the real API and processes (SPEC §12): a client reads their own
package, staff read an organization's, a filed request
counts against its channel's quota; the wrong reader is refused."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from desk_runtime.testing import wait_until
from portal_gateway.seed import ACME

from .conftest import RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def call(desk: RunningDesk, token: str, path: str, status: int = 200, **headers: str) -> Any:
    async with desk.client() as http:
        response = await http.get(path, headers={"authorization": f"Bearer {token}", **headers})
    assert response.status_code == status, response.text
    return response.json()


async def file_one(desk: RunningDesk, token: str) -> Any:
    """An incident the client files through the API."""

    async def filed() -> Any:
        async with desk.client() as http:
            response = await http.post(
                "/api/v1/incidents",
                headers={"authorization": f"Bearer {token}"},
                json={
                    "title": "How do I export the report?",
                    "category_id": str(demo_id("category:fault/hardware")),
                },
            )
        # The demo categories reach intake through the broker right after start.
        return response.json() if response.status_code == 201 else None

    return await wait_until(filed, timeout=30)


async def test_a_client_reads_the_package_and_a_filed_request_counts(desk: RunningDesk) -> None:
    client = await desk.token("alice")
    before = await call(desk, client, "/api/v1/me/package")
    channels = {c["channel"]: c for c in before["channels"]}
    assert set(channels) == {"phone", "email", "portal", "api", "onsite", "chat"}
    assert before["renews_on"] > before["month_start"][:10]

    await file_one(desk, client)

    async def counted() -> Any:
        now = await call(desk, client, "/api/v1/me/package")
        api = next(c for c in now["channels"] if c["channel"] == "api")
        return api if api["used"] > channels["api"]["used"] else None

    api = await wait_until(counted, timeout=30)
    assert api["used"] == channels["api"]["used"] + 1


async def test_staff_read_an_organizations_package_and_clients_do_not(desk: RunningDesk) -> None:
    client, head = await desk.token("alice"), await desk.token("helen")
    acme = demo_id(f"organization:{ACME}")
    package = await call(desk, head, f"/api/v1/organizations/{acme}/package")
    assert package["organization_id"] == str(acme)
    await call(desk, head, "/api/v1/me/package", 403)
    await call(desk, client, f"/api/v1/organizations/{acme}/package", 403)
    missing = await call(desk, head, f"/api/v1/organizations/{uuid4()}/package", 404)
    assert missing["detail"] == "no such organization"


async def test_the_channel_report_shows_the_requests_by_package(desk: RunningDesk) -> None:
    client, head = await desk.token("alice"), await desk.token("helen")

    async def api_requests() -> int:
        report = await call(desk, head, "/api/v1/reports/channels?segment_by=package")
        return sum(row["requests"] for row in report["rows"] if row["channel"] == "api")

    before = await api_requests()
    await file_one(desk, client)

    async def reported() -> Any:
        report = await call(desk, head, "/api/v1/reports/channels?segment_by=package")
        api = [row for row in report["rows"] if row["channel"] == "api"]
        return api if sum(row["requests"] for row in api) > before else None

    api = await wait_until(reported, timeout=30)
    assert sum(row["requests"] for row in api) == before + 1
    assert all(0 < row["share"] <= 1 for row in api)
    await call(desk, client, "/api/v1/reports/channels", 403)
    async with desk.client() as http:
        response = await http.get(
            "/api/v1/reports/channels.csv",
            headers={"authorization": f"Bearer {head}"},
        )
    assert response.status_code == 200
    assert response.text.splitlines()[0].startswith("Client group,Channel,Requests")
    bad = await call(desk, head, "/api/v1/reports/channels?segment_by=weather", 422)
    assert bad["errors"]
