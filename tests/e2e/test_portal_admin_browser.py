"""The admin pages and the staff's incident edits in a real headless Chromium against the
whole desk: an admin creates an organization, a user in it, a subcategory and a calendar,
edits the calendar and adds a contract version, with a readable error for each bad field
and nothing written by a refused form; the new user can sign in; an agent is refused the
admin pages. Staff change an incident's assignee and category from its page, and the SLA
report sets planned against actual. An agent sets their presence from the header; a head
overrides capacity where the page says a head may; an admin changes an agent's skills and
capacity and a contract's escalation ladder and channel quotas, in both languages.

Screenshots of every admin page land in test-artifacts/screens/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from .browser import log_in, new_context, reload_until, screenshot
from .conftest import DEMO_PASSWORD, RunningDesk, demo_id, poll_incident

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ADMIN_PASSWORD = "admin-e2e-password"  # the desk fixture's bootstrap admin
STANDARD_CONTRACT = "00000000-0000-4000-8000-000000000010"  # sla's built-in contract
NEW_USER_PASSWORD = "initech-password-2026"


async def _api(desk: RunningDesk, path: str) -> Any:
    """What the JSON API says now, as the admin (to prove what was or was not written)."""
    token = await desk.token("admin", ADMIN_PASSWORD)
    async with desk.client() as http:
        response = await http.get(path, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def _submit(page: Page, form: str) -> None:
    await page.locator(f"[data-testid={form}] button[type=submit]").click()


async def _refused(page: Page, field: str, text: str) -> None:
    """The form is back with a message under the named field."""
    await expect(page.locator("[data-testid=form-errors]")).to_be_visible()
    await expect(page.locator(f"[data-testid=error-{field}]")).to_contain_text(text)
    await expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")


async def _saved(page: Page, text: str) -> None:
    await expect(page.locator("[data-testid=flash]")).to_contain_text(text)


async def test_staff_change_assignee_and_category_from_the_incident_page(
    desk: RunningDesk, browser: Browser
) -> None:
    software = str(demo_id("category:fault/software"))
    client_token = await desk.token("alice")
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {client_token}"},
            json={"title": "Label printer jams", "category_id": software},
        )
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    staff_token = await desk.token("helen")
    first = await poll_incident(
        desk, staff_token, incident_id, lambda body: body["assignee_id"] is not None
    )
    names = {str(demo_id("user:anna")): "Anna Agent", str(demo_id("user:boris")): "Борис Иванов"}
    other = next(agent for agent in names if agent != first["assignee_id"])

    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "helen", DEMO_PASSWORD)
    await page.goto(f"{desk.base_url}/incidents/{incident_id}")
    actions = page.locator("[data-testid=staff-actions]")
    await actions.locator("#edit-category").select_option(str(demo_id("category:fault/hardware")))
    await actions.locator("#edit-assignee").select_option(other)
    await actions.locator("form[action$='/update'] button[type=submit]").click()
    await _saved(page, "Saved.")
    history = page.locator("[data-testid=history]")
    await expect(history).to_contain_text("category from fault/software to fault/hardware")
    await expect(page.locator(".incident-head")).to_contain_text("Hardware")

    # The assignment reaches the incident's history through routing's event.
    async def reassigned() -> bool:
        assignee = (await page.locator("[data-testid=assignee]").inner_text()).strip()
        entries = await history.locator("li.kind-assignment").count()
        return assignee == names[other] and entries >= 2

    await reload_until(page, reassigned)
    await expect(page.locator("#edit-assignee option:checked")).to_contain_text(names[other])
    await screenshot(page, "incident-staff-reassigned")

    # --- the SLA report sets planned (the Standard contract's 8 h / 72 h) against actual -
    await page.locator("header nav a", has_text="SLA report").click()
    total = page.locator("[data-testid=report-organization] tr.total-row")
    await reload_until(page, total.count)
    await expect(total.locator("[data-testid=planned-response]")).to_have_text("8.0 h")
    await expect(total.locator("[data-testid=planned-resolution]")).to_have_text("72.0 h")
    await expect(page.locator("[data-testid=report-category] svg.chart").first).to_be_visible()
    await screenshot(page, "sla-report-planned")
    await context.close()


async def test_admin_manages_the_desk_from_the_admin_pages(
    desk: RunningDesk, browser: Browser
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "admin", ADMIN_PASSWORD)
    await page.locator("[data-testid=nav-admin]").click()
    await expect(page).to_have_url(re.compile(r"/admin$"))
    await expect(page.locator("[data-testid=admin-overview]")).to_contain_text("Organizations")
    await screenshot(page, "admin-overview")

    # --- an organization: a missing name, a bad network, then saved ------------------
    await page.locator("[data-testid=admin-nav] a", has_text="Organizations").click()
    await expect(page.locator("[data-testid=organizations]")).to_contain_text("Acme Manufacturing")
    await screenshot(page, "admin-organizations")
    await page.locator("[data-testid=new-organization]").click()
    await page.select_option("#account_manager_id", label="Mike Manager")
    await _submit(page, "organization-form")
    await _refused(page, "name", "This field is required.")
    await page.fill("#name", "Initech")
    await page.fill("#ip_allow_list", "127.0.0.0/8\n10.0.0.300/8")
    await _submit(page, "organization-form")
    await _refused(page, "ip_allow_list", "not a CIDR")
    # The choices survive the refusal, and nothing was written.
    await expect(page.locator("#account_manager_id option:checked")).to_have_text("Mike Manager")
    organizations = await _api(desk, "/api/v1/organizations")
    assert "Initech" not in [o["name"] for o in organizations["items"]]
    await screenshot(page, "admin-organization-errors")
    await page.fill("#ip_allow_list", "127.0.0.0/8\n10.20.0.0/16")
    await page.fill("#mail_domains", "initech.example\nbad_domain.example")
    await _submit(page, "organization-form")
    await _refused(page, "mail_domains", "not a domain name: bad_domain.example")
    await page.fill("#mail_domains", "Initech.Example")
    await page.select_option("#locale", label="Русский")
    # The built-in Standard contract (the demo's Standard package bears the same name).
    await page.select_option("#contract_id", value=STANDARD_CONTRACT)
    await _submit(page, "organization-form")
    await _saved(page, "Organization Initech saved.")
    row = page.locator("[data-testid=organizations] tbody tr", has_text="Initech")
    await expect(row).to_contain_text("Mike Manager")
    await expect(row).to_contain_text("10.20.0.0/16")
    await expect(row).to_contain_text("initech.example")
    organizations = await _api(desk, "/api/v1/organizations")
    initech = next(o for o in organizations["items"] if o["name"] == "Initech")
    assert initech["contract_id"] == STANDARD_CONTRACT
    assert initech["account_manager_id"] == str(demo_id("user:mike"))
    assert (initech["mail_domains"], initech["locale"]) == (["initech.example"], "ru")

    # --- a user in it: bad login, password and e-mail; then saved and edited ---------
    await row.get_by_role("link", name="Add user").click()
    await expect(page.locator("#organization_id option:checked")).to_have_text("Initech")
    await page.fill("#username", "ivan initech")
    await page.fill("#password", "short")
    await page.fill("#display_name", "Ivan Initech")
    await page.fill("#email", "ivan-at-initech")
    await _submit(page, "user-form")
    await _refused(page, "username", "Letters, digits and . _ @ - only.")
    await _refused(page, "password", "At least 12 characters.")
    await _refused(page, "email", "Not an e-mail address.")
    await expect(page.locator("#password")).to_have_value("")
    users = await _api(desk, f"/api/v1/users?organization_id={initech['id']}")
    assert users["total"] == 0
    await screenshot(page, "admin-user-errors")
    await page.fill("#username", "ivan.initech")
    await page.fill("#password", NEW_USER_PASSWORD)
    await page.fill("#email", "ivan@initech.example")
    await page.select_option("#scope", "organization")
    await page.select_option("#locale", "ru")
    await _submit(page, "user-form")
    await _saved(page, "User ivan.initech saved.")
    await page.locator("[data-testid=users] a", has_text="ivan.initech").click()
    await page.fill("#phone", "+7 495 123-45-67")
    await page.select_option("#role", "agent")
    await _submit(page, "user-form")
    # Staff belong to no organization: said next to the field, nothing changed.
    await _refused(page, "organization_id", "staff do not belong to a client organization")
    await page.select_option("#role", "client")
    await _submit(page, "user-form")
    await _saved(page, "User ivan.initech saved.")
    await expect(page.locator("[data-testid=users]")).to_contain_text("Ivan Initech")
    await screenshot(page, "admin-users")
    users = await _api(desk, f"/api/v1/users?organization_id={initech['id']}")
    assert [
        (u["username"], u["phone"], u["role"], u["scope"], u["locale"]) for u in users["items"]
    ] == [("ivan.initech", "+7 495 123-45-67", "client", "organization", "ru")]

    # --- a subcategory under Fault › Hardware, then renamed ---------------------------
    await page.goto(desk.base_url + "/admin/categories")
    hardware = page.locator("[data-testid=categories] tr[data-path='fault/hardware']")
    await reload_until(page, hardware.count)
    await screenshot(page, "admin-categories")
    await hardware.locator("[data-testid=add-child]").click()
    await expect(page.locator("[data-testid=parent]")).to_have_text("Fault › Hardware")
    await page.fill("#code", "Printers!")
    await page.fill("#name", "Printers")
    await page.select_option("#escalation_contact_id", label="Helen Head")
    await _submit(page, "category-form")
    await _refused(page, "code", "Lower-case letters, digits")
    await page.fill("#code", "printers")
    await page.fill("#colour", "#ff8f00")
    await _submit(page, "category-form")
    await _saved(page, "Category Printers saved.")
    printers = page.locator("[data-testid=categories] tr[data-path='fault/hardware/printers']")
    await expect(printers).to_contain_text("Helen Head")
    await expect(printers.locator("[data-testid=add-child]")).to_have_count(0)
    await printers.get_by_role("link", name="Edit").click()
    await page.fill("#name", "Printers and scanners")
    await _submit(page, "category-form")
    await _saved(page, "Category Printers and scanners saved.")
    await expect(printers).to_contain_text("Printers and scanners")
    await screenshot(page, "admin-category-tree")

    # --- a calendar: bad time zone and hours refused; created; then edited ------------
    await page.goto(desk.base_url + "/admin/calendars")
    await expect(page.locator("[data-testid=calendars]")).to_contain_text("24/7 (UTC)")
    await page.locator("[data-testid=new-calendar]").click()
    await page.fill("#name", "Moscow office")
    await page.fill("#time_zone", "Mars/Olympus")
    await page.fill("#hours_0", "9-18")
    await _submit(page, "calendar-form")
    await _refused(page, "time_zone", "Unknown time zone")
    await _refused(page, "hours_0", "Not working hours: 9-18")
    await screenshot(page, "admin-calendar-errors")
    assert "Moscow office" not in [
        c["name"] for c in (await _api(desk, "/api/v1/calendars"))["items"]
    ]
    await page.fill("#time_zone", "Europe/Moscow")
    await page.fill("#hours_0", "09:00-18:00")
    await _submit(page, "calendar-form")
    await _saved(page, "Calendar Moscow office saved.")
    await page.locator("[data-testid=calendars] a", has_text="Moscow office").click()
    await page.fill("#hours_4", "09:00-13:00, 14:00-17:00")
    await page.fill("#holidays", "2027-01-01\n2027-01-07")
    await _submit(page, "calendar-form")
    await _saved(page, "Calendar Moscow office saved.")
    moscow_row = page.locator("[data-testid=calendars] tbody tr", has_text="Moscow office")
    await expect(moscow_row).to_contain_text("Europe/Moscow")
    await expect(moscow_row).to_contain_text("Fri 09:00–13:00, 14:00–17:00")
    await screenshot(page, "admin-calendars")
    calendars = (await _api(desk, "/api/v1/calendars"))["items"]
    moscow = next(c for c in calendars if c["name"] == "Moscow office")
    assert moscow["holidays"] == ["2027-01-01", "2027-01-07"]
    assert moscow["weekly_hours"]["4"] == [["09:00", "13:00"], ["14:00", "17:00"]]

    # --- a new version of the Standard contract on that calendar ----------------------
    await page.goto(desk.base_url + "/admin/contracts")
    await screenshot(page, "admin-contracts")
    await page.locator(f"[data-testid=contracts] a[href$='{STANDARD_CONTRACT}']").click()
    await expect(page.locator("[data-testid=targets]")).to_contain_text("any category")
    blank = await page.locator("[data-testid=targets] tbody tr").count()
    editor = page.locator("[data-testid=contract-form]")
    await editor.locator("#calendar_id").select_option(label="Moscow office")
    await editor.locator(f"select[name=t{blank}_category]").select_option("fault/hardware/printers")
    await editor.locator(f"select[name=t{blank}_priority]").select_option("high")
    await editor.locator(f"#t{blank}_response").fill("soon")
    await editor.locator(f"#t{blank}_resolution").fill("1d")
    await _submit(page, "contract-form")
    await _refused(page, f"t{blank}_response", "A duration like 30m, 8h or 2d.")
    await expect(page.locator("#calendar_id option:checked")).to_have_text("Moscow office")
    assert (await _api(desk, f"/api/v1/contracts/{STANDARD_CONTRACT}"))["version"] == 1
    await screenshot(page, "admin-contract-errors")
    await editor.locator(f"#t{blank}_response").fill("2h")
    await editor.locator(f"#t{blank}_reminder").fill("75%")
    await _submit(page, "contract-form")
    await _saved(page, "Contract Standard saved as version 2.")
    await expect(page.locator("[data-testid=versions] [aria-current=page]")).to_have_text("2")
    await expect(page.locator("[data-testid=contract-version]")).to_contain_text("Moscow office")
    await expect(page.locator("[data-testid=targets]")).to_contain_text(
        "Fault › Hardware › Printers and scanners"
    )
    await screenshot(page, "admin-contract")
    contract = await _api(desk, f"/api/v1/contracts/{STANDARD_CONTRACT}")
    assert contract["version"] == 2
    assert contract["calendar_id"] == moscow["calendar_id"]
    assert {
        "category_path": ["fault", "hardware", "printers"],
        "priority": "high",
        "response_seconds": 7200.0,
        "resolution_seconds": 86400.0,
        "reminder_before_seconds": None,
        "reminder_share": 0.75,
    } in contract["targets"]
    # Version 1 stays as it was, one click away.
    await page.locator("[data-testid=versions] a", has_text="1").click()
    await expect(page.locator("[data-testid=contract-version]")).to_contain_text("24/7 (UTC)")
    await expect(page.locator("[data-testid=targets]")).not_to_contain_text("Printers")

    # --- the new user signs in (in Russian, its language) ------------------------------
    newcomer_context = await new_context(browser)
    newcomer = await newcomer_context.new_page()
    await log_in(newcomer, desk, "ivan.initech", NEW_USER_PASSWORD)
    await expect(newcomer.locator("[data-testid=who]")).to_have_text("Ivan Initech")
    await expect(newcomer.locator("header nav")).to_contain_text("Инциденты")
    await expect(newcomer.locator("[data-testid=nav-admin]")).to_have_count(0)
    await newcomer_context.close()

    # --- the admin pages in Russian -------------------------------------------------------
    await page.goto(desk.base_url + "/language/ru?next=/admin/calendars")
    await expect(page.locator("h1")).to_contain_text("Календари")
    await expect(page.locator("[data-testid=nav-admin]")).to_have_text("Администрирование")
    await screenshot(page, "admin-calendars-ru")
    await context.close()

    # --- an agent is refused every admin page -------------------------------------------
    agent_context = await new_context(browser)
    agent = await agent_context.new_page()
    await log_in(agent, desk, "anna", DEMO_PASSWORD)
    await expect(agent.locator("[data-testid=nav-admin]")).to_have_count(0)
    for path in ("/admin", "/admin/users", f"/admin/contracts/{STANDARD_CONTRACT}"):
        response = await agent.goto(desk.base_url + path)
        assert response is not None
        assert response.status == 403
        await expect(agent.locator("[data-testid=error-message]")).to_contain_text("admins only")
    await screenshot(agent, "admin-refused")
    forged = await agent.request.post(
        desk.base_url + "/admin/organizations/new", form={"name": "Hooli"}
    )
    assert forged.status == 403
    organizations = await _api(desk, "/api/v1/organizations")
    assert "Hooli" not in [o["name"] for o in organizations["items"]]
    await agent_context.close()


# --- self-service for staff (issue 17 point 12): presence, agents, override, contract terms


async def _put_presence(desk: RunningDesk, username: str, presence: str) -> None:
    token = await desk.token(username)
    async with desk.client() as http:
        answer = await http.put(
            f"/api/v1/agents/{demo_id(f'user:{username}')}/presence",
            headers={"authorization": f"Bearer {token}"},
            json={"presence": presence},
        )
    assert answer.status_code == 200, answer.text


async def test_an_agent_sets_their_presence_from_the_header(
    desk: RunningDesk, browser: Browser
) -> None:
    boris = str(demo_id("user:boris"))
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "boris", DEMO_PASSWORD)  # boris reads Russian
    header = page.locator("[data-testid=presence-form]")
    await expect(header.locator("select option:checked")).to_have_text("в сети")
    await header.locator("select").select_option("away")
    await header.locator("button[type=submit]").click()
    await _saved(page, "Ваш статус: отошёл.")
    await expect(header.locator("select option:checked")).to_have_text("отошёл")
    assert (await _api(desk, f"/api/v1/agents/{boris}"))["presence"] == "away"
    await screenshot(page, "header-presence-ru")
    await page.goto(f"{desk.base_url}/language/en?next=/agents")
    await expect(header.locator("select option:checked")).to_have_text("away")
    await header.locator("select").select_option("online")
    await header.locator("button[type=submit]").click()
    await _saved(page, "You are online now.")
    await screenshot(page, "header-presence")
    assert (await _api(desk, f"/api/v1/agents/{boris}"))["presence"] == "online"
    await context.close()


async def test_a_head_overrides_capacity_where_the_page_says_a_head_may(
    desk: RunningDesk, browser: Browser
) -> None:
    client_token = await desk.token("alice")
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {client_token}"},
            json={"title": "Scanner offline", "category_id": str(demo_id("category:fault"))},
        )
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    staff_token = await desk.token("helen")
    first = await poll_incident(desk, staff_token, incident_id, lambda b: b["assignee_id"])
    other = next(
        name for name in ("anna", "boris") if str(demo_id(f"user:{name}")) != first["assignee_id"]
    )
    await _put_presence(desk, other, "away")
    try:
        context = await new_context(browser)
        page = await context.new_page()
        await log_in(page, desk, "helen", DEMO_PASSWORD)
        await page.goto(f"{desk.base_url}/incidents/{incident_id}")
        actions = page.locator("[data-testid=staff-actions]")
        await actions.locator("#edit-assignee").select_option(str(demo_id(f"user:{other}")))
        await actions.locator("form[action$='/update'] button[type=submit]").click()
        flash = page.locator("[data-testid=flash]")
        await expect(flash).to_contain_text("Cannot assign: agent is away")
        await expect(flash).to_contain_text("Tick “Override capacity”")
        await expect(flash).to_have_class(re.compile("error"))
        await screenshot(page, "incident-override-refused")
        await actions.locator("#edit-assignee").select_option(str(demo_id(f"user:{other}")))
        await actions.locator("[data-testid=override]").check()
        await actions.locator("form[action$='/update'] button[type=submit]").click()
        await _saved(page, "Saved.")
        await poll_incident(
            desk,
            staff_token,
            incident_id,
            lambda b: b["assignee_id"] == str(demo_id(f"user:{other}")),
        )
        await page.goto(f"{desk.base_url}/language/ru?next=/incidents/{incident_id}")
        await expect(actions.locator("[data-testid=override]")).to_be_visible()
        await expect(actions).to_contain_text("Сверх ёмкости")
        await screenshot(page, "incident-override-ru")
        await context.close()
    finally:
        await _put_presence(desk, other, "online")

    # An agent gets no such control.
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "anna", DEMO_PASSWORD)
    await page.goto(f"{desk.base_url}/incidents/{incident_id}")
    await expect(page.locator("[data-testid=staff-actions]")).to_be_visible()
    assert await page.locator("[data-testid=override]").count() == 0
    await context.close()


async def test_admin_changes_skills_capacity_and_a_contracts_ladder_and_quotas(
    desk: RunningDesk, browser: Browser
) -> None:
    boris = str(demo_id("user:boris"))
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "admin", ADMIN_PASSWORD)
    await page.goto(f"{desk.base_url}/agents")
    row = page.locator("[data-testid=agents] tr", has_text="Борис Иванов")
    form = row.locator("[data-testid=agent-edit]")
    await form.locator("input[name=capacity]").fill("-1")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=error-capacity]")).to_have_text(
        "Capacity: a whole number from 0 to 1000."
    )
    await screenshot(page, "agents-admin-refused")
    before = await _api(desk, f"/api/v1/agents/{boris}")
    assert before["capacity"] != -1
    form = page.locator("[data-testid=agents] tr", has_text="Борис Иванов").locator(
        "[data-testid=agent-edit]"
    )
    await form.locator("select[name=skills]").select_option(["", "fault/hardware"])
    await form.locator("input[name=capacity]").fill("7")
    await form.locator("button[type=submit]").click()
    await _saved(page, "Skills and capacity of Борис Иванов are saved.")
    after = await _api(desk, f"/api/v1/agents/{boris}")
    assert after["capacity"] == 7
    assert sorted(after["skills"]) == [[], ["fault", "hardware"]]
    assert after["presence"] == before["presence"]
    await page.goto(f"{desk.base_url}/language/ru?next=/agents")
    await expect(page.locator("[data-testid=agents] th").last).to_have_text("Изменить")
    await screenshot(page, "agents-admin-ru")

    # --- the Standard contract's ladder and channels, each saved as a new version
    await page.goto(f"{desk.base_url}/admin/contracts/{STANDARD_CONTRACT}")
    ladder = page.locator("[data-testid=ladder-form]")
    versions = len((await _api(desk, "/api/v1/contracts"))["items"])
    await ladder.locator("input[name=e0_after]").fill("скоро")
    await ladder.locator("select[name=e0_unit]").select_option("time")
    await ladder.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=error-e0_after]")).to_have_text(
        "Длительность вида 30m, 8h или 2d."
    )
    await screenshot(page, "contract-ladder-refused-ru")
    ladder = page.locator("[data-testid=ladder-form]")
    await ladder.locator("input[name=e0_after]").fill("2")
    await ladder.locator("select[name=e0_unit]").select_option("business_days")
    await ladder.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=flash]")).to_contain_text("сохранён")
    contract = await _api(desk, f"/api/v1/contracts/{STANDARD_CONTRACT}")
    assert contract["escalation"][0]["after_business_days"] == 2
    assert len((await _api(desk, "/api/v1/contracts"))["items"]) == versions

    channels = page.locator("[data-testid=channels-form]")
    await channels.locator("input[name=c_email_quota]").fill("-3")
    await channels.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=error-c_email_quota]")).to_contain_text(
        "Целое число от 0"
    )
    unchanged = await _api(desk, f"/api/v1/contracts/{STANDARD_CONTRACT}")
    assert unchanged["version"] == contract["version"]
    await page.goto(f"{desk.base_url}/language/en?next=/admin/contracts/{STANDARD_CONTRACT}")
    channels = page.locator("[data-testid=channels-form]")
    await channels.locator("input[name=c_onsite_quota]").fill("2")
    await channels.locator("select[name=c_onsite_policy]").select_option("refuse")
    await channels.locator("button[type=submit]").click()
    await _saved(page, f"saved as version {contract['version'] + 1}")
    terms = (await _api(desk, f"/api/v1/contracts/{STANDARD_CONTRACT}"))["channels"]
    onsite = [t for t in terms if t["channel"] == "onsite" and not t["category_path"]]
    assert onsite[0]["per_month"] == 2
    assert onsite[0]["policy"] == "refuse"
    await expect(page.locator("[data-testid=escalation] tr").nth(1)).to_contain_text(
        "2 business days"
    )
    await screenshot(page, "contract-ladder-channels")
    await context.close()
