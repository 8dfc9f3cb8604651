"""Staffing through the real API and processes (SPEC §15): a request filed and answered
shows in the heads' report for its hour of the week, by channel, with agents online and
agents needed; the demo month (DESK_DEMO=1) gives each hour of the week the figures its
plan says, and the page shows where the desk is short; the CSV speaks the reader's
language; clients and agents are refused."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio
from desk_contracts.enums import Status
from desk_runtime.testing import Infrastructure, Mailbox, wait_until
from portal_gateway.seed import demo_month_plan
from routing.staffing import hour_occurrences, observed_from, online_hours

from .conftest import DEMO_PASSWORD, RunningDesk, demo_id, poll_incident, running_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    """The demo desk as `make run` starts it: with its month of past incidents."""
    async with running_desk(infra, smtp_module[0], demo_month=True) as running:
        yield running


DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYS_RU = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


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
    local = instant.astimezone(ZoneInfo(zone))
    return local.weekday() * 24 + local.hour


async def seeded_month_at(desk: RunningDesk) -> datetime:
    """When the gateway sent the demo month (its plan counts back from that day)."""
    conn = await asyncpg.connect(desk.settings.database_url("portal-gateway"))
    try:
        at: datetime = await conn.fetchval(
            "SELECT seeded_at FROM demo_seeded WHERE item = 'history:month'"
        )
    finally:
        await conn.close()
    return at


async def month_report(desk: RunningDesk, head: str, size: int) -> dict[str, Any]:
    """The default report once the whole demo month has reached routing, each incident
    with its response target (sla's due times come after intake's facts)."""

    async def arrived() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await call(desk, head, "GET", "/api/v1/reports/staffing?time_zone=UTC")
        ).json()
        answered = sum(h["responses"] for h in body["hours"])
        return body if body["incidents"] >= size and answered >= size else None

    return await wait_until(arrived, timeout=120, interval=0.5)


async def test_the_demo_month_gives_each_hour_of_the_week_its_figures(
    desk: RunningDesk,
) -> None:
    head = await desk.token("helen")
    seeded = await seeded_month_at(desk)
    incidents, stretches = demo_month_plan(seeded)
    report = await month_report(desk, head, len(incidents))
    utc = ZoneInfo("UTC")
    end = datetime.fromisoformat(report["window_end"])
    first = min([i.registered_at for i in incidents] + [s.started_at for s in stretches])
    # The desk is younger than the 8 weeks: the averages start at its first fact's hour.
    start = observed_from(end - timedelta(weeks=8), first, utc)
    assert datetime.fromisoformat(report["window_start"]) == start
    seen = hour_occurrences(start, end, utc)
    arrivals = Counter(hour_of_week(i.registered_at, "UTC") for i in incidents)
    online = online_hours([(s.started_at, s.ended_at) for s in stretches], start, end, utc)
    # The hours since the desk started also hold what this module files and the agents'
    # presence since then: those are left out of the comparison.
    live = {
        hour_of_week(seeded + timedelta(minutes=m), "UTC")
        for m in range(-60, int((end - seeded).total_seconds() / 60) + 61, 15)
    }
    compared = [h for h in report["hours"] if h["hour_of_week"] not in live]
    assert len(compared) >= 160
    for hour in compared:
        number = hour["hour_of_week"]
        occurred = seen.get(number, 0)
        assert hour["arrivals"] == pytest.approx(arrivals[number] / occurred if occurred else 0)
        assert hour["online"] == pytest.approx(online[number] / occurred if occurred else 0)
    # Every seeded incident was answered; its handle time is the worked time kept.
    handled = [
        (next(c.at for c in i.changes if c.status is Status.RESOLVED) - i.assigned_at)
        for i in incidents
        if hour_of_week(i.registered_at, "UTC") == 9  # Mondays 09:00
    ]
    monday_nine = report["hours"][9]
    assert 9 in live or monday_nine["handle_minutes"] == pytest.approx(
        sum(d.total_seconds() for d in handled) / 60 / len(handled), rel=1e-6
    )
    assert 9 in live or monday_nine["responses"] == len(handled)
    # Weekday mornings before the second shift are where the desk is short.
    worst = report["hours"][report["understaffed"][0]]
    assert worst["gap"] < -1
    assert worst["weekday"] < 5
    assert 7 <= worst["hour"] <= 11


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
    # After the demo month has arrived, the page shows where the desk is short: the
    # worst hours first, each with fewer agents online than needed, red on the map.
    incidents, _ = demo_month_plan(await seeded_month_at(desk))
    report = await month_report(desk, await desk.token("helen"), len(incidents))
    worst = report["hours"][report["understaffed"][0]]
    await page.goto(desk.base_url + "/staffing?time_zone=UTC")
    rows = page.locator("[data-testid=staffing-worst] tbody tr")
    await expect(rows.first.locator("th")).to_have_text(
        f"{DAYS_EN[worst['weekday']]} {worst['hour']:02d}:00"
    )
    assert await rows.count() >= 3
    for gap in await rows.locator("td:last-child").all_inner_texts():
        assert float(gap) < 0
    short = page.locator(
        "[data-testid=staffing-heatmap] rect[data-hour]:is([fill='#fca5a5'], [fill='#ef4444'],"
        " [fill='#991b1b'])"
    )
    assert await short.count() >= 5
    await expect(page.locator("[data-testid=waiting-clients] h2")).to_have_text(
        "Clients waiting longer than their target"
    )
    await screenshot(page, "staffing-en")

    # A zone that does not exist is named, and the page still answers in the default one.
    await page.fill("#time_zone", "Mars/Olympus")
    await page.click("main form.filters button[type=submit]")
    await expect(page.locator("[data-testid=zone-error]")).to_be_visible()

    await page.goto(desk.base_url + "/language/ru?next=/staffing")
    await page.goto(desk.base_url + "/staffing?time_zone=UTC")
    await expect(page.locator("h1")).to_have_text("Укомплектованность по часам недели")
    await expect(page.locator("[data-testid=staffing-worst] h2")).to_have_text(
        "Часы с наибольшей нехваткой"
    )
    await expect(rows.first.locator("th")).to_have_text(
        f"{DAYS_RU[worst['weekday']]} {worst['hour']:02d}:00"
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
