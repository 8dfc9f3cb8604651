"""Staffing through the real API and processes (SPEC §15): a request filed and answered
shows in the heads' report for its hour of the week, by channel, with agents online and
agents needed; the CSV speaks the reader's language; clients and agents are refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from desk_runtime.testing import wait_until

from .conftest import DEMO_PASSWORD, RunningDesk, demo_id, poll_incident

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def call(
    desk: RunningDesk, token: str, method: str, path: str, status: int = 200, **kwargs: Any
) -> Any:
    async with desk.client() as http:
        response = await http.request(
            method, path, headers={"authorization": f"Bearer {token}"}, **kwargs
        )
    assert response.status_code == status, response.text
    return response


def hour_of_week(instant: datetime, zone: str) -> int:
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(zone))
    return local.weekday() * 24 + local.hour


async def test_a_request_answered_shows_in_its_hour(desk: RunningDesk) -> None:
    client, agent, head = (
        await desk.token("alice"),
        await desk.token("anna"),
        await desk.token("helen"),
    )

    async def filed() -> Any:
        async with desk.client() as http:
            response = await http.post(
                "/api/v1/incidents",
                headers={"authorization": f"Bearer {client}"},
                json={
                    "title": "The scanner stops after ten pages",
                    "category_id": str(demo_id("category:fault/hardware")),
                },
            )
        # The demo categories reach intake through the broker right after start.
        return response.json() if response.status_code == 201 else None

    incident = await wait_until(filed, timeout=30)
    registered = datetime.now(UTC)
    await poll_incident(desk, agent, incident["id"], lambda body: body["assignee_id"])
    await call(
        desk,
        agent,
        "POST",
        f"/api/v1/incidents/{incident['id']}/entries",
        201,
        json={"text": "Please send us the scanner's model.", "visibility": "public"},
    )
    # Resolved, it gives the window a handle time to size the hour by.
    await call(
        desk,
        agent,
        "POST",
        f"/api/v1/incidents/{incident['id']}/status",
        json={"status": "resolved", "reason": "A new roller fixed it."},
    )

    async def answered() -> Any:
        body = (
            await call(desk, head, "GET", "/api/v1/reports/staffing?weeks=1&time_zone=UTC")
        ).json()
        hour = body["hours"][hour_of_week(registered, "UTC")]
        done = hour["responses"] >= 1 and hour["handle_minutes"] is not None
        return body if done else None

    report = await wait_until(answered, timeout=30)
    assert report["time_zone"] == "UTC"
    assert len(report["hours"]) == 168
    hour = report["hours"][hour_of_week(registered, "UTC")]
    assert hour["arrivals_by_channel"].get("api", 0) >= 1
    assert hour["online"] > 0  # the demo agents are online
    assert hour["needed"] >= 1
    assert hour["gap"] == pytest.approx(hour["online"] - hour["needed"])

    # Without a zone the hours are read in the desk's business calendar's zone.
    default = (await call(desk, head, "GET", "/api/v1/reports/staffing?weeks=1")).json()
    assert default["time_zone"] != ""


async def test_csv_in_the_readers_language(desk: RunningDesk) -> None:
    head = await desk.token("helen")
    response = await call(desk, head, "GET", "/api/v1/reports/staffing.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Weekday", "Hour", "Arrivals per hour"]
    assert len(rows) == 1 + 168
    assert rows[1][:2] == ["Monday", "00:00"]


async def test_who_may_read_it_and_bad_input(desk: RunningDesk) -> None:
    for username in ("alice", "anna"):
        token = await desk.token(username)
        await call(desk, token, "GET", "/api/v1/reports/staffing", 403)
        await call(desk, token, "GET", "/api/v1/reports/waiting-clients", 403)
    head = await desk.token("helen")
    for query, field in (
        ("time_zone=Mars/Olympus", "time_zone"),
        ("service_level=1.5", "service_level"),
        ("weeks=0", "weeks"),
    ):
        response = await call(desk, head, "GET", f"/api/v1/reports/staffing?{query}", 422)
        assert field in response.text
    waiting = (await call(desk, head, "GET", "/api/v1/reports/waiting-clients")).json()
    assert waiting["total"] == len(waiting["items"])


async def test_the_staffing_page_in_both_languages(desk: RunningDesk, browser: Any) -> None:
    from playwright.async_api import expect

    from .browser import log_in, new_context, screenshot

    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "helen", DEMO_PASSWORD)
    await page.click("[data-testid=nav-staffing]")
    await expect(page.locator("h1")).to_have_text("Staffing by hour of the week")
    heatmap = page.locator("[data-testid=staffing-heatmap] rect[data-hour]")
    await expect(heatmap).to_have_count(168)
    await expect(page.locator("[data-testid=staffing-summary]")).to_contain_text("Incidents:")
    await expect(page.locator("[data-testid=waiting-clients] h2")).to_have_text(
        "Clients waiting longer than their target"
    )
    await screenshot(page, "staffing-en")

    # A zone that does not exist is named, and the page still answers in the default one.
    await page.fill("#time_zone", "Mars/Olympus")
    await page.click("main form.filters button[type=submit]")
    await expect(page.locator("[data-testid=zone-error]")).to_be_visible()

    await page.goto(desk.base_url + "/language/ru?next=/staffing")
    await expect(page.locator("h1")).to_have_text("Укомплектованность по часам недели")
    await expect(page.locator("[data-testid=staffing-worst] h2")).to_have_text(
        "Часы с наибольшей нехваткой"
    )
    csv_href = await page.get_attribute("[data-testid=staffing-csv]", "href")
    assert csv_href is not None
    download = await page.request.get(desk.base_url + csv_href)
    assert download.status == 200
    assert (await download.text()).splitlines()[0].startswith("День недели,Час")
    await screenshot(page, "staffing-ru")
    await context.close()

    # Agents and clients have no staffing page (nor the link to it).
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "anna", DEMO_PASSWORD)
    await expect(page.locator("[data-testid=nav-staffing]")).to_have_count(0)
    response = await page.goto(desk.base_url + "/staffing")
    assert response is not None
    assert response.status == 403
    await context.close()
