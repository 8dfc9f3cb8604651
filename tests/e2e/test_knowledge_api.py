"""The knowledge base through the real API and processes (SPEC §11): a client picks a
category and gets the demo's public article, not the internal one, opens it (counted
once) and says it helped; on the portal a client says it solved the problem and leaves
the form without filing — the page records the deflection and the report shows it; an
agent resolves an incident with one public reply linking an article — first-contact
resolution and "resolved with the article" show; editors write and version articles,
others are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from desk_runtime.testing import wait_until

from .conftest import RunningDesk, demo_id, poll_incident

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

HARDWARE = str(demo_id("category:fault/hardware"))
CONSULTATION = str(demo_id("category:consultation"))
INVOICES = str(demo_id("article:printer-invoices"))
DRIVER_INTERNAL = str(demo_id("article:printer-driver-internal"))


async def call(
    desk: RunningDesk, token: str, method: str, path: str, status: int = 200, **kwargs: Any
) -> Any:
    async with desk.client() as http:
        response = await http.request(
            method, path, headers={"authorization": f"Bearer {token}"}, **kwargs
        )
    assert response.status_code == status, response.text
    return response.json()


async def suggestions(desk: RunningDesk, token: str, **params: str) -> list[dict[str, Any]]:
    body = await call(desk, token, "GET", "/api/v1/kb/suggestions", params=params)
    items: list[dict[str, Any]] = body["items"]
    return items


async def filed_and_assigned(
    desk: RunningDesk, title: str, category_id: str
) -> tuple[dict[str, Any], str]:
    """An incident alice files, once assigned, and its agent's token."""
    alice, helen = await desk.token("alice"), await desk.token("helen")
    incident = await call(
        desk,
        alice,
        "POST",
        "/api/v1/incidents",
        201,
        json={"title": title, "category_id": category_id},
    )
    assigned = await poll_incident(desk, helen, incident["id"], lambda body: body["assignee_id"])
    agent = "anna" if assigned["assignee_id"] == str(demo_id("user:anna")) else "boris"
    return incident, await desk.token(agent)


async def test_a_client_gets_the_public_article_opens_it_and_says_helped(
    desk: RunningDesk,
) -> None:
    alice, carl, anna, helen = (
        await desk.token("alice"),
        await desk.token("carl"),
        await desk.token("anna"),
        await desk.token("helen"),
    )

    async def seeded() -> list[dict[str, Any]] | None:
        # The demo articles and categories reach knowledge through the broker after start.
        found = await suggestions(desk, alice, category_id=HARDWARE)
        return found if any(s["article_id"] == INVOICES for s in found) else None

    shown = await wait_until(seeded, timeout=60, interval=0.3)
    # The demo brings a month of suggestions and answers; what this test adds counts on top.
    before = await call(desk, helen, "GET", "/api/v1/reports/kb")
    base = next(a for a in before["articles"] if a["article_id"] == INVOICES)
    assert base["shown"] > 0
    assert DRIVER_INTERNAL not in {s["article_id"] for s in shown}
    invoices = next(s for s in shown if s["article_id"] == INVOICES)
    assert invoices["locale"] == "en"
    assert invoices["title"] == "The printer does not print invoices"
    assert invoices["bound"] is True
    assert "<strong>paper</strong>" in invoices["body_html"]

    # Staff see the internal article too; Russian stemming finds the Russian title.
    staff = await suggestions(desk, anna, category_id=HARDWARE)
    assert DRIVER_INTERNAL in {s["article_id"] for s in staff}
    russian = await suggestions(desk, carl, q="принтер не печатает")
    assert russian[0]["article_id"] == INVOICES
    assert russian[0]["title"] == "Принтер не печатает счета"

    answered = await call(
        desk,
        alice,
        "POST",
        f"/api/v1/kb/suggestions/{invoices['suggestion_id']}/feedback",
        json={"helped": True},
    )
    assert answered["helped"] is True
    # Opened from the suggestion, twice: counted once. Another reader's suggestion is not
    # theirs to open.
    for _ in range(2):
        opened = await call(
            desk,
            alice,
            "GET",
            f"/api/v1/kb/articles/{INVOICES}",
            params={"suggestion_id": invoices["suggestion_id"]},
        )
        assert opened["article_id"] == INVOICES
    not_theirs = await call(
        desk,
        carl,
        "GET",
        f"/api/v1/kb/articles/{INVOICES}",
        422,
        params={"suggestion_id": invoices["suggestion_id"]},
    )
    assert [e["field"] for e in not_theirs["errors"]] == ["suggestion_id"]
    # Only the person it was shown to answers it.
    await call(
        desk,
        carl,
        "POST",
        f"/api/v1/kb/suggestions/{invoices['suggestion_id']}/feedback",
        404,
        json={"helped": False},
    )
    await call(desk, alice, "POST", "/api/v1/kb/suggestions/x/feedback", 404, json={"helped": 1})
    invalid = await call(
        desk,
        alice,
        "POST",
        f"/api/v1/kb/suggestions/{invoices['suggestion_id']}/feedback",
        422,
        json={"helped": "maybe"},
    )
    assert any(e["field"].endswith("helped") for e in invalid["errors"])

    report = await call(desk, helen, "GET", "/api/v1/reports/kb")
    article = next(a for a in report["articles"] if a["article_id"] == INVOICES)
    assert article["shown"] >= base["shown"] + 2
    assert article["opened"] == base["opened"] + 1
    assert article["helped"] == base["helped"] + 1
    # A *helped* alone is no deflection: the client may still file.
    assert article["deflections"] == base["deflections"]
    hardware = next(c for c in report["categories"] if c["category_id"] == HARDWARE)
    assert hardware["helpful_articles"] >= 1

    await call(desk, alice, "GET", "/api/v1/reports/kb", 403)
    await call(desk, anna, "GET", "/api/v1/reports/kb", 403)


async def test_an_incident_resolved_by_the_first_reply_counts_as_first_contact(
    desk: RunningDesk,
) -> None:
    helen = await desk.token("helen")
    incident, token = await filed_and_assigned(desk, "How do I export a report?", CONSULTATION)
    await call(
        desk,
        token,
        "POST",
        f"/api/v1/incidents/{incident['id']}/entries",
        201,
        json={"text": "Press Export and choose XLSX.", "visibility": "public"},
    )
    await call(
        desk,
        token,
        "POST",
        f"/api/v1/incidents/{incident['id']}/status",
        json={"status": "resolved", "reason": "Answered."},
    )

    async def counted() -> dict[str, Any] | None:
        report = await call(desk, helen, "GET", "/api/v1/reports/kb")
        row: dict[str, Any] | None = next(
            (c for c in report["categories"] if c["category_id"] == CONSULTATION), None
        )
        return row if row and row["first_contact"] >= 1 else None

    row = await wait_until(counted, timeout=30, interval=0.3)
    assert row["requests"] >= 1
    assert row["fcr_rate"] is not None
    assert row["fcr_rate"] > 0


async def test_an_agent_resolves_with_an_article_in_one_reply(desk: RunningDesk) -> None:
    alice, helen = await desk.token("alice"), await desk.token("helen")
    before = await call(desk, helen, "GET", "/api/v1/reports/kb")
    base = next((a for a in before["articles"] if a["article_id"] == INVOICES), {})
    incident, token = await filed_and_assigned(desk, "Invoices come out blank", HARDWARE)
    entries = f"/api/v1/incidents/{incident['id']}/entries"

    # Only a published public article, on a public staff reply: else 422 naming it.
    for article_id, visibility, who in (
        (DRIVER_INTERNAL, "public", token),
        (str(demo_id("article:nowhere")), "public", token),
        (INVOICES, "internal", token),
        (INVOICES, None, alice),
    ):
        refused = await call(
            desk,
            who,
            "POST",
            entries,
            422,
            json={"text": "See the article.", "visibility": visibility, "article_id": article_id},
        )
        assert [e["field"] for e in refused["errors"]] == ["article_id"], refused
    current = await call(desk, helen, "GET", f"/api/v1/kb/articles/{INVOICES}")
    await call(
        desk,
        token,
        "POST",
        entries,
        201,
        json={"text": "Check the tray, as the article says.", "article_id": INVOICES},
    )
    await call(
        desk,
        token,
        "POST",
        f"/api/v1/incidents/{incident['id']}/status",
        json={"status": "resolved", "reason": "Answered with the article."},
    )
    seen = await call(desk, alice, "GET", f"/api/v1/incidents/{incident['id']}")
    linked = [e for e in seen["entries"] if e["article_id"]]
    assert [(e["article_id"], e["article_version"]) for e in linked] == [
        (INVOICES, current["version"])
    ]

    async def counted() -> dict[str, Any] | None:
        report = await call(desk, helen, "GET", "/api/v1/reports/kb")
        row = next((a for a in report["articles"] if a["article_id"] == INVOICES), None)
        if row is None or row["resolved_with"] < base.get("resolved_with", 0) + 1:
            return None
        return report

    report = await wait_until(counted, timeout=30, interval=0.3)
    hardware = next(c for c in report["categories"] if c["category_id"] == HARDWARE)
    assert hardware["first_contact"] >= 1
    assert hardware["resolved_with_article"] >= 1


async def test_editors_write_and_version_articles_others_are_refused(desk: RunningDesk) -> None:
    alice, anna, helen = (
        await desk.token("alice"),
        await desk.token("anna"),
        await desk.token("helen"),
    )
    article = {
        "texts": [
            {"locale": "en", "title": "Scanner jams", "body": "Clean the <b>rollers</b>."},
        ],
        "visibility": "public",
        "status": "draft",
        "category_ids": [HARDWARE],
        "keywords": ["scanner"],
    }
    await call(desk, alice, "POST", "/api/v1/kb/articles", 403, json=article)
    await call(desk, anna, "POST", "/api/v1/kb/articles", 403, json=article)
    created = await call(desk, helen, "POST", "/api/v1/kb/articles", 201, json=article)
    assert created["version"] == 1
    assert "<b>" not in created["texts"][0]["body_html"]
    article_id = created["article_id"]

    # A draft is nobody's but the editors'.
    await call(desk, alice, "GET", f"/api/v1/kb/articles/{article_id}", 404)
    changed = await call(
        desk,
        helen,
        "PATCH",
        f"/api/v1/kb/articles/{article_id}",
        json={
            "status": "published",
            "texts": [{"locale": "ru", "title": "Сканер заминает бумагу", "body": "Почистите."}],
            "expected_version": 1,
        },
    )
    assert changed["version"] == 2
    assert [t["locale"] for t in changed["texts"]] == ["ru", "en"]
    seen = await call(desk, alice, "GET", f"/api/v1/kb/articles/{article_id}")
    assert seen["version"] == 2
    stale = await call(
        desk,
        helen,
        "PATCH",
        f"/api/v1/kb/articles/{article_id}",
        409,
        json={"keywords": ["scanner", "jam"], "expected_version": 1},
    )
    assert "version 2" in stale["detail"]
    history = await call(desk, helen, "GET", f"/api/v1/kb/articles/{article_id}/versions")
    assert [v["version"] for v in history["items"]] == [2, 1]
    await call(desk, anna, "GET", f"/api/v1/kb/articles/{article_id}/versions", 403)

    blank = await call(
        desk, helen, "POST", "/api/v1/kb/articles", 422, json={**article, "texts": []}
    )
    assert any(e["field"].startswith("texts") for e in blank["errors"])
    unknown = await call(
        desk,
        helen,
        "POST",
        "/api/v1/kb/articles",
        422,
        json={**article, "category_ids": [str(demo_id("category:nowhere"))]},
    )
    assert [e["field"] for e in unknown["errors"]] == ["category_ids.0"]

    listed = await call(desk, alice, "GET", "/api/v1/kb/articles", params={"q": "scanner"})
    assert article_id in {i["article_id"] for i in listed["items"]}


async def web_login(desk: RunningDesk, http: Any, username: str) -> str:
    """Signs in through the portal's form; the session's CSRF token for later forms."""
    page = await http.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = await http.post(
        "/login", data={"username": username, "password": "demo-desk-2026", "csrf_token": token}
    )
    assert signed_in.status_code == 303, signed_in.text
    form = await http.get("/incidents/new")
    csrf: str = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return csrf


async def test_the_portal_shows_answers_beside_the_form_without_javascript(
    desk: RunningDesk,
) -> None:
    async with desk.client() as http:
        csrf = await web_login(desk, http, "carl")
        # "Show answers" submits the filing form itself: the form again, with answers.
        shown = await http.post(
            "/incidents/new",
            files={"files": ("", b"", "application/octet-stream")},
            data={
                "csrf_token": csrf,
                "form_key": "k",
                "title": "Принтер не печатает",
                "category_id": HARDWARE,
                "priority": "normal",
                "action": "suggest",
            },
        )
        assert shown.status_code == 200, shown.text
        assert "Ответы, которые могут помочь" in shown.text
        assert "Принтер не печатает счета" in shown.text
        assert "переустановка драйвера" not in shown.text
        assert 'value="Принтер не печатает"' in shown.text
        suggestion = shown.text.split('action="/kb/suggestions/', 1)[1].split("/", 1)[0]
        answered = await http.post(
            f"/kb/suggestions/{suggestion}/feedback",
            data={"csrf_token": csrf, "helped": "1", "next": "/incidents/new"},
        )
        assert answered.status_code == 303
        assert answered.headers["location"] == "/incidents/new"

        # The knowledge page: search and browse by category, and one article.
        listed = await http.get("/kb", params={"q": "принтер"})
        assert listed.status_code == 200
        assert "Принтер не печатает счета" in listed.text
        browsed = await http.get("/kb", params={"category_id": HARDWARE})
        assert "Принтер не печатает счета" in browsed.text
        assert "переустановка драйвера" not in browsed.text
        article = await http.get(f"/kb/{INVOICES}")
        assert "<strong>бумага</strong>" in article.text
        hidden = await http.get(f"/kb/{DRIVER_INTERNAL}")
        assert hidden.status_code == 404
        # The fragment portal.js refreshes as the client types.
        live = await http.get("/kb/suggest", params={"title": "printer", "category_id": ""})
        assert 'id="kb-suggestions"' in live.text
        assert "The printer does not print invoices" in live.text or "Принтер" in live.text

    async with desk.client() as http:
        await web_login(desk, http, "helen")
        report = await http.get("/reports/kb")
        assert report.status_code == 200
        assert "Knowledge base report" in report.text
        assert "The printer does not print invoices" in report.text


async def test_a_client_who_says_solved_on_the_form_is_a_deflection_the_page_records(
    desk: RunningDesk,
) -> None:
    helen = await desk.token("helen")
    before = await call(desk, helen, "GET", "/api/v1/reports/kb")
    base = next(a for a in before["articles"] if a["article_id"] == INVOICES)
    async with desk.client() as http:
        csrf = await web_login(desk, http, "alice")
        block = await http.get("/kb/suggest", params={"category_id": HARDWARE, "title": ""})
        assert 'data-testid="kb-solved"' in block.text
        item = block.text.split(f'href="/kb/{INVOICES}?suggestion=', 1)[1]
        suggestion = item.split('"', 1)[0]
        opened = await http.get(f"/kb/{INVOICES}", params={"suggestion": suggestion})
        assert opened.status_code == 200
        left = await http.post(
            f"/kb/suggestions/{suggestion}/feedback",
            data={"csrf_token": csrf, "solved": "1", "next": "/incidents/new"},
        )
        # The client leaves the form: nothing is filed.
        assert left.status_code == 303
        assert left.headers["location"] == "/incidents"
    report = await call(desk, helen, "GET", "/api/v1/reports/kb")
    article = next(a for a in report["articles"] if a["article_id"] == INVOICES)
    assert article["deflections"] == base["deflections"] + 1
    assert article["opened"] == base["opened"] + 1
    assert article["helped"] == base["helped"] + 1
    hardware = next(c for c in report["categories"] if c["category_id"] == HARDWARE)
    assert hardware["deflections"] >= 1
    assert 0 < hardware["deflected_share"] <= 1

    # A suggestion on an incident spares no request.
    alice = await desk.token("alice")
    filed = await call(
        desk,
        alice,
        "POST",
        "/api/v1/incidents",
        201,
        json={"title": "Printer again", "category_id": HARDWARE},
    )
    on_incident = await suggestions(desk, alice, incident_id=filed["id"])
    refused = await call(
        desk,
        alice,
        "POST",
        f"/api/v1/kb/suggestions/{on_incident[0]['suggestion_id']}/feedback",
        422,
        json={"helped": True, "solved": True},
    )
    assert [e["field"] for e in refused["errors"]] == ["solved"]

    async with desk.client() as http:
        await web_login(desk, http, "helen")
        page = await http.get("/reports/kb")
        assert 'data-testid="kb-report-opened"' in page.text
        assert 'data-testid="kb-report-resolved-with"' in page.text


async def test_an_editors_change_to_a_demo_article_survives_a_restart(desk: RunningDesk) -> None:
    helen = await desk.token("helen")
    article = str(demo_id("article:order-status"))
    changed = await call(
        desk,
        helen,
        "PATCH",
        f"/api/v1/kb/articles/{article}",
        json={"keywords": ["orders", "status"]},
    )
    assert changed["version"] == 2
    # The gateway seeds the demo at every start: the article is neither sent again nor
    # overwritten.
    await desk.restart("portal-gateway")

    async def back() -> dict[str, Any] | None:
        try:
            token = await desk.token("helen")
            async with desk.client() as http:
                response = await http.get(
                    f"/api/v1/kb/articles/{article}", headers={"authorization": f"Bearer {token}"}
                )
        except (AssertionError, OSError, httpx.HTTPError):
            return None
        body: dict[str, Any] = response.json()
        return body if response.status_code == 200 else None

    again = await wait_until(back, timeout=60, interval=0.5)
    assert again["version"] == 2
    assert again["keywords"] == ["orders", "status"]
    history = await call(desk, helen, "GET", f"/api/v1/kb/articles/{article}/versions")
    assert [v["version"] for v in history["items"]] == [2, 1]
