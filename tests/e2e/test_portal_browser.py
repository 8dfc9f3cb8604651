"""The web portal in a real headless Chromium against the whole desk: a client files an
incident with a file, follows it to its resolution and rates it; the assigned agent works
it from the staff pages; a client of another organization cannot open it by URL; a user
who forgot their password sets a new one from the mailed link.

Screenshots of the main pages land in test-artifacts/screens/."""

from __future__ import annotations

import re

import pytest
from desk_runtime.testing import Mailbox, wait_until
from playwright.async_api import Browser, Page, expect

from .browser import log_in, new_context, reload_until, screenshot
from .conftest import DEMO_PASSWORD, RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

# The smallest valid PNG: 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
LONG_DESCRIPTION = "Invoices fail to print from the accounting client since 9:00.\n" + "\n".join(
    f"Step {n}: opened the invoice, pressed Print, got error 0x{n:04x}." for n in range(1, 40)
)
AGENT_LOGINS = {"Anna Agent": "anna", "Борис Иванов": "boris"}


async def _admin_creates_other_client(desk: RunningDesk) -> str:
    """Globex and its client gina; returns the organization's id."""
    admin = await desk.token("admin", "admin-e2e-password")
    auth = {"authorization": f"Bearer {admin}"}
    async with desk.client() as http:
        org = await http.post("/api/v1/organizations", headers=auth, json={"name": "Globex"})
        assert org.status_code == 201, org.text
        user = await http.post(
            "/api/v1/users",
            headers=auth,
            json={
                "username": "gina",
                "password": DEMO_PASSWORD,
                "display_name": "Gina Globex",
                "role": "client",
                "organization_id": org.json()["id"],
                "scope": "organization",
            },
        )
        assert user.status_code == 201, user.text
    organization_id: str = org.json()["id"]
    return organization_id


async def _admin_restricts(desk: RunningDesk, organization_id: str, networks: list[str]) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    async with desk.client() as http:
        response = await http.patch(
            f"/api/v1/organizations/{organization_id}",
            headers={"authorization": f"Bearer {admin}"},
            json={"ip_allow_list": networks},
        )
    assert response.status_code == 200, response.text


async def _staff_status(page: Page, status: str, reason: str = "") -> None:
    actions = page.locator("[data-testid=staff-actions]")
    await actions.locator("#new-status").select_option(status)
    if reason:
        await actions.locator("#status-reason").fill(reason)
    await actions.locator("form[action$='/status'] button[type=submit]").click()
    await expect(page.locator("[data-testid=flash]")).to_be_visible()


async def _staff_reply(page: Page, text: str, visibility: str) -> None:
    form = page.locator("[data-testid=reply-form]")
    await form.locator("#reply-text").fill(text)
    await form.locator(f"input[name=visibility][value={visibility}]").check()
    await form.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=history]")).to_contain_text(text)


async def test_client_and_agent_work_an_incident_in_the_browser(
    desk: RunningDesk, browser: Browser
) -> None:
    globex = await _admin_creates_other_client(desk)

    # --- the client logs in (a wrong password first: a plain message) -----------------
    client_context = await new_context(browser)
    client = await client_context.new_page()
    await client.goto(desk.base_url + "/")
    await expect(client).to_have_url(re.compile(r"/login"))
    await client.fill("#username", "alice")
    await client.fill("#password", "not-the-password")
    await client.click("main form button[type=submit]")
    await expect(client.locator("[data-testid=login-error]")).to_contain_text(
        "Wrong username or password"
    )
    await screenshot(client, "login-error")
    await client.fill("#password", DEMO_PASSWORD)
    await client.click("main form button[type=submit]")
    await expect(client).to_have_url(re.compile(r"/incidents$"))
    await expect(client.locator("[data-testid=who]")).to_have_text("Alice Client")

    # --- the new-incident form: clear field errors, then a filing with two files -------
    category = str(demo_id("category:fault/software"))
    await client.goto(desk.base_url + "/incidents/new")
    # The demo categories reach intake through the broker right after start.
    await reload_until(
        client, lambda: client.locator(f"#category_id option[value='{category}']").count()
    )
    await client.click("main form button[type=submit]")
    await expect(client.locator("[data-testid=form-errors]")).to_be_visible()
    await expect(client.locator("#title-error")).to_have_text("This field is required.")
    await expect(client.locator("#category-error")).to_have_text("This field is required.")
    await screenshot(client, "new-incident-errors")

    await client.fill("#title", "Invoices fail to print")
    await client.select_option("#category_id", category)
    await client.check("input[name=priority][value=high]")
    await client.fill("#description", LONG_DESCRIPTION)
    await client.set_input_files(
        "#files",
        files=[
            {"name": "screen.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "printer.log", "mimeType": "text/plain", "buffer": b"error 0x0001\n"},
        ],
    )
    await screenshot(client, "new-incident")
    await client.click("main form button[type=submit]")
    await expect(client).to_have_url(re.compile(r"/incidents/[0-9a-f-]{36}$"))
    await expect(client.locator("[data-testid=flash]")).to_contain_text("filed")
    incident_url = client.url
    files = client.locator("[data-testid=history] .files")
    await expect(files).to_contain_text("screen.png")
    await expect(files).to_contain_text("image/png")
    await expect(files).to_contain_text("printer.log")

    # --- assigned, with due times and the protocol one click away ---------------------
    async def assigned_with_due_times() -> bool:
        assignee = (await client.locator("[data-testid=assignee]").inner_text()).strip()
        clocks = await client.locator("[data-testid=due-times] .clock").count()
        return assignee in AGENT_LOGINS and clocks == 2

    await reload_until(client, assigned_with_due_times)
    agent_name = (await client.locator("[data-testid=assignee]").inner_text()).strip()
    protocol = client.locator("[data-testid=protocol]")
    await expect(protocol.locator("ol li").first).to_be_hidden()
    await protocol.locator("summary").click()
    await expect(protocol.locator("ol li").first).to_be_visible()
    # The long description is folded with a control that unfolds it.
    more = client.locator("button.more").first
    await expect(more).to_have_attribute("aria-expanded", "false")
    await more.click()
    await expect(more).to_have_attribute("aria-expanded", "true")
    await screenshot(client, "incident-client")

    # --- the client replies ---------------------------------------------------------
    await client.fill("#reply-text", "The printer is an HP LaserJet 4250.")
    await client.click("[data-testid=reply-form] button[type=submit]")
    await expect(client.locator("[data-testid=flash]")).to_have_text("Reply sent.")
    await expect(client.locator("[data-testid=history]")).to_contain_text("HP LaserJet 4250")

    # --- the list: coloured by category, with status, priority and due time ----------
    await client.goto(desk.base_url + "/incidents?q=invoices")
    row = client.locator("[data-testid=incident-list] tbody tr").first
    await expect(row).to_contain_text("Invoices fail to print")
    await expect(row).to_contain_text("high")
    await screenshot(client, "incidents-client")

    # --- the assigned agent works it from the staff pages ----------------------------
    agent_context = await new_context(browser)
    agent = await agent_context.new_page()
    await log_in(agent, desk, AGENT_LOGINS[agent_name], DEMO_PASSWORD)
    await agent.goto(desk.base_url + "/language/en?next=/incidents")
    await expect(agent.locator(".side .tree")).to_contain_text("Software error")
    await expect(agent.locator("[data-testid=incident-list]")).to_contain_text(
        "Invoices fail to print"
    )
    # Staff see whose incident it is and for which organization.
    invoices = agent.locator("[data-testid=incident-list] tbody tr").filter(
        has_text="Invoices fail to print"
    )
    await expect(invoices.locator("[data-testid=requester]")).to_contain_text("Alice Client")
    await expect(invoices.locator("[data-testid=requester]")).to_contain_text("Acme")
    await screenshot(agent, "incidents-staff")
    # Bulk select: take the work up from the list.
    incident_id = incident_url.rsplit("/", 1)[-1]
    await agent.check(f"input[name=incident][value='{incident_id}']")
    await agent.select_option("#bulk-action", "in_progress")
    await agent.click("#bulk .bulk-bar button[type=submit]")
    await expect(agent.locator("[data-testid=flash]")).to_have_text("1 of 1 incidents changed.")
    await expect(agent.locator("[data-testid=incident-list] tbody tr").first).to_contain_text(
        "in progress"
    )
    await agent.goto(incident_url)
    actions = agent.locator("[data-testid=staff-actions]")
    # The status control shows where the incident is and offers only what is allowed.
    status_choice = actions.locator("#new-status")
    await expect(status_choice.locator("option:checked")).to_have_text("Now: in progress")
    offered = await status_choice.locator("option:not([disabled])").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert offered == ["waiting_on_client", "resolved"]
    await actions.locator("#edit-priority").select_option("critical")
    await actions.locator("form[action$='/update'] button[type=submit]").click()
    await expect(agent.locator("[data-testid=flash]")).to_have_text("Saved.")
    await expect(agent.locator(".incident-head .pr-critical")).to_be_visible()
    await _staff_reply(agent, "We are looking into it; which driver version?", "public")
    await _staff_reply(agent, "Suspect the PCL6 driver update from Monday.", "internal")
    internal = agent.locator("[data-testid=history] li[data-visibility=internal]").filter(
        has_text="PCL6"
    )
    await expect(internal).to_contain_text("PCL6")
    await expect(internal.locator(".internal-mark")).to_be_visible()
    await _staff_status(agent, "waiting_on_client", "Need the driver version")
    await expect(agent.locator(".incident-head")).to_contain_text("waiting on client")
    await screenshot(agent, "incident-staff")

    # --- the client sees the public reply, never the internal note --------------------
    await client.goto(incident_url)
    await expect(client.locator("[data-testid=waiting-banner]")).to_be_visible()
    history = client.locator("[data-testid=history]")
    await expect(history).to_contain_text("which driver version?")
    await expect(history).not_to_contain_text("PCL6")
    await expect(client.locator("[data-testid=staff-actions]")).to_have_count(0)
    await screenshot(client, "incident-waiting")
    await client.fill("#reply-text", "Driver 6.1.2, installed Monday.")
    await client.click("[data-testid=reply-form] button[type=submit]")
    await expect(client.locator("[data-testid=waiting-banner]")).to_have_count(0)

    # --- the agent resolves ---------------------------------------------------------
    await agent.goto(incident_url)
    await expect(agent.locator("[data-testid=history]")).to_contain_text("Driver 6.1.2")
    await _staff_status(agent, "resolved", "Rolled the driver back")
    await expect(agent.locator(".incident-head")).to_contain_text("resolved")

    # --- the client confirms the resolution and rates it ------------------------------
    await client.goto(incident_url)
    await expect(client.locator("[data-testid=resolve-box]")).to_be_visible()
    await screenshot(client, "incident-resolved")
    await client.locator("[data-testid=resolve-box] button.primary").click()
    await expect(client.locator(".incident-head")).to_contain_text("closed")
    rating = client.locator("[data-testid=rating-box]")
    await rating.locator("input[name=score][value='5']").check()
    await rating.locator("#rating-comment").fill("Quick and clear, thank you")
    await rating.locator("button[type=submit]").click()
    await expect(client.locator("[data-testid=flash]")).to_contain_text("Thank you")
    await expect(client.locator("[data-testid=rating-box] .stars")).to_have_text("★★★★★")
    await screenshot(client, "incident-rated")

    # --- staff boards: the agents' load and the SLA report ---------------------------
    await agent.goto(desk.base_url + "/agents")
    await expect(agent.locator("[data-testid=agents]")).to_contain_text(agent_name)
    await screenshot(agent, "agents")
    await agent.goto(desk.base_url + "/reports/sla")
    await expect(agent.locator("[data-testid=report-category]")).to_be_visible()
    await expect(agent.locator("[data-testid=report-organization]")).to_contain_text(
        "Acme Manufacturing"
    )
    await screenshot(agent, "sla-report")

    # --- a client of another organization cannot open it by URL ----------------------
    other_context = await new_context(browser)
    other = await other_context.new_page()
    await log_in(other, desk, "gina", DEMO_PASSWORD)
    response = await other.goto(incident_url)
    assert response is not None
    assert response.status == 404
    await expect(other.locator("[data-testid=error-message]")).to_be_visible()
    await expect(other.locator("body")).not_to_contain_text("Invoices fail to print")
    await other.goto(desk.base_url + "/incidents")
    await expect(other.locator("main")).not_to_contain_text("Invoices fail to print")
    # A client never reaches the staff pages.
    response = await other.goto(desk.base_url + "/agents")
    assert response is not None
    assert response.status == 403

    # --- an allow-list that excludes this address: said plainly at login -------------
    await _admin_restricts(desk, globex, ["203.0.113.0/24"])
    other = await (await new_context(browser)).new_page()
    await other.goto(desk.base_url + "/login")
    await other.fill("#username", "gina")
    await other.fill("#password", DEMO_PASSWORD)
    await other.click("main form button[type=submit]")
    await expect(other.locator("[data-testid=login-error]")).to_contain_text(
        "does not allow access from this address (127.0.0.1)"
    )
    await screenshot(other, "login-allow-list")
    await other.context.close()

    # --- Russian, and the phone layout ------------------------------------------------
    phone_context = await new_context(browser, phone=True)
    phone = await phone_context.new_page()
    await log_in(phone, desk, "alice", DEMO_PASSWORD)
    await phone.click("a[lang=ru]")
    await expect(phone.locator("header nav")).to_contain_text("Инциденты")
    await expect(phone.locator("h1")).to_contain_text("Инциденты")
    await screenshot(phone, "incidents-phone-ru")
    await phone.goto(incident_url)
    await expect(phone.locator(".incident-head")).to_contain_text("закрыт")
    # The system's lines read in the reader's language too.
    history = phone.locator("[data-testid=history]")
    await expect(history).to_contain_text("зарегистрировано, канал: портал")
    await expect(history).to_contain_text("Статус изменён: решён → закрыт")
    await expect(history).not_to_contain_text("Status changed")
    await screenshot(phone, "incident-phone-ru")

    for context in (client_context, agent_context, other_context, phone_context):
        await context.close()


async def test_portal_pages_need_a_session_and_carry_csrf(
    desk: RunningDesk, browser: Browser
) -> None:
    """Anonymous readers are sent to the login page; a form post without the session's
    CSRF token is refused with a readable page; static files are cached."""
    async with desk.client() as http:
        anonymous = await http.get("/incidents", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login")
        static = await http.get("/static/portal.css")
        assert static.status_code == 200
        assert "max-age" in static.headers["cache-control"]

    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "carl", DEMO_PASSWORD)
    forged = await page.request.post(
        desk.base_url + "/incidents/new",
        multipart={"title": "forged", "category_id": str(demo_id("category:order"))},
    )
    assert forged.status == 403
    assert "CSRF" in await forged.text()
    await context.close()


async def test_a_new_incident_form_sent_twice_files_once(
    desk: RunningDesk, browser: Browser
) -> None:
    """A double click, or the same page sent again after a timeout: the form carries the
    key it was rendered with, so the second post answers with the first incident."""
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "carl", DEMO_PASSWORD)
    await page.goto(desk.base_url + "/incidents/new")
    form = {
        "csrf_token": await page.locator("input[name=csrf_token]").first.input_value(),
        "form_key": await page.locator("input[name=form_key]").input_value(),
        "title": "Sent twice",
        "category_id": str(demo_id("category:order")),
        "priority": "normal",
    }
    answers = [
        await page.request.post(desk.base_url + "/incidents/new", multipart=form, max_redirects=0)
        for _ in range(2)
    ]
    assert [a.status for a in answers] == [303, 303]
    first, second = (a.headers["location"].split("?")[0] for a in answers)
    assert first == second
    assert first.startswith("/incidents/")
    # A fresh page is a fresh key: the next incident is a new one.
    await page.goto(desk.base_url + "/incidents/new")
    fresh = await page.locator("input[name=form_key]").input_value()
    assert fresh != form["form_key"]
    await context.close()


async def test_login_throttling_is_explained(desk: RunningDesk, browser: Browser) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(desk.base_url + "/login")
    message = page.locator("[data-testid=login-error]")

    async def throttled() -> bool:
        await page.fill("#username", "mallory")
        await page.fill("#password", "guess")
        await page.click("main form button[type=submit]")
        await expect(message).to_be_visible()
        return "Too many failed attempts" in await message.inner_text()

    await wait_until(throttled, timeout=60, interval=0)
    await expect(message).to_contain_text(re.compile(r"Try again in \d+ s"))
    await screenshot(page, "login-throttled")
    await context.close()


async def test_long_names_wrap_instead_of_widening_the_page(
    desk: RunningDesk, browser: Browser
) -> None:
    """A file name of hundreds of characters and a title without spaces leave the page
    as wide as the window, with the details and actions beside the history."""
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "carl", DEMO_PASSWORD)
    await page.goto(desk.base_url + "/incidents/new")
    long_title = "Ошибка" * 45
    long_name = "отчёт_" * 40 + ".pdf"
    answer = await page.request.post(
        desk.base_url + "/incidents/new",
        multipart={
            "csrf_token": await page.locator("input[name=csrf_token]").first.input_value(),
            "form_key": await page.locator("input[name=form_key]").input_value(),
            "title": long_title,
            "category_id": str(demo_id("category:order")),
            "priority": "normal",
            "files": {"name": long_name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4"},
        },
        max_redirects=0,
    )
    assert answer.status == 303, await answer.text()
    await page.goto(desk.base_url + answer.headers["location"])
    link = page.locator(".files li a").first
    await expect(link).to_have_attribute("title", long_name)
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    side = page.locator("aside.side-right")
    box = await side.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= widths[1]
    await screenshot(page, "incident-long-names")
    await context.close()


async def test_the_profile_page_changes_own_details_and_notifications(
    desk: RunningDesk, browser: Browser
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "carl", DEMO_PASSWORD)  # carl reads Russian
    await page.click("[data-testid=who]")
    await expect(page.locator("h1")).to_have_text("Ваш профиль")
    form = page.locator("[data-testid=profile-form]")
    await expect(form.locator("#display_name")).to_have_value("Карл Клиентов")
    await form.locator("#email").fill("not an address")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=error-email]")).to_have_text(
        "Это не адрес электронной почты"
    )
    await form.locator("#email").fill("carl@example.com")
    await form.locator("#phone").fill("+7 495 123-45-67")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=flash]")).to_have_text("Профиль сохранён.")
    await expect(form.locator("#phone")).to_have_value("+7 495 123-45-67")

    wrong = page.locator("[data-testid=password-form]")
    await wrong.locator("#current_password").fill("not-my-password")
    await wrong.locator("#new_password").fill("a-much-longer-secret")
    await wrong.locator("#repeat_password").fill("a-much-longer-secret")
    await wrong.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=error-current_password]")).to_have_text(
        "Это не ваш текущий пароль."
    )

    choices = page.locator("[data-testid=notifications-form]")
    sms = choices.locator("input[value='public_reply:sms']")
    await expect(sms).not_to_be_checked()
    await sms.check()
    await choices.locator("button[type=submit]").click()
    await expect(page.locator("[data-testid=flash]")).to_have_text(
        "Настройки уведомлений сохранены."
    )
    await expect(choices.locator("input[value='public_reply:sms']")).to_be_checked()
    await expect(choices).to_contain_text("Новый ответ")
    await screenshot(page, "profile-ru")
    await context.close()


async def test_a_forgotten_password_is_set_again_from_the_mailed_link(
    desk: RunningDesk, browser: Browser, smtp_module: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp_module
    admin = await desk.token("admin", "admin-e2e-password")
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/users",
            headers={"authorization": f"Bearer {admin}"},
            json={
                "username": "vera",
                "password": "veras-old-password",
                "display_name": "Вера Петрова",
                "email": "vera@example.com",
                "locale": "ru",
                "role": "client",
                "organization_id": str(demo_id("organization:Acme Manufacturing")),
                "scope": "own",
            },
        )
    assert created.status_code == 201, created.text

    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(desk.base_url + "/login")
    await page.click("[data-testid=forgot-password]")
    await page.click("main form button[type=submit]")  # nothing typed
    await expect(page.locator("[data-testid=error-login]")).to_have_text("This field is required.")
    await page.fill("#login", "vera@example.com")
    await screenshot(page, "password-reset-ask")
    await page.click("main form button[type=submit]")
    await expect(page.locator("[data-testid=reset-asked]")).to_contain_text("works once")
    await screenshot(page, "password-reset-asked")

    async def mailed() -> str | None:
        for mail in mailbox.to("vera@example.com"):
            found = re.search(
                r"/password-reset/[A-Za-z0-9_-]+", mail.get_body(("plain",)).get_content()
            )  # type: ignore[union-attr]
            if found:
                return found.group(0)
        return None

    link = await wait_until(mailed, timeout=20, interval=0.1)
    assert "пароль" in str(mailbox.to("vera@example.com")[0]["Subject"])  # vera reads Russian
    await page.goto(f"{desk.base_url}/language/ru?next={link}")
    await page.fill("#new_password", "veras-new-password")
    await page.fill("#repeat_password", "something-else-entirely")
    await page.click("main form button[type=submit]")
    await expect(page.locator("[data-testid=error-repeat_password]")).to_have_text(
        "Новые пароли не совпадают."
    )
    await screenshot(page, "password-reset-choose-ru")
    await page.fill("#new_password", "veras-new-password")
    await page.fill("#repeat_password", "veras-new-password")
    await page.click("main form button[type=submit]")
    await expect(page.locator("[data-testid=flash]")).to_have_text(
        "Новый пароль задан; войдите с ним."
    )
    await log_in(page, desk, "vera", "veras-new-password")

    await page.goto(desk.base_url + link)
    await expect(page.locator("[data-testid=reset-refused]")).to_have_text(
        "Эта ссылка уже использована. Если нужно, запросите новую."
    )
    await screenshot(page, "password-reset-used-ru")
    await page.goto(f"{desk.base_url}/language/en?next={link}")
    await expect(page.locator("[data-testid=reset-refused]")).to_have_text(
        "This link has already been used. Ask for a new one if you need it."
    )
    await screenshot(page, "password-reset-used")
    await context.close()


async def test_a_client_sees_the_package_on_the_home_page_in_english_and_russian(
    desk: RunningDesk, browser: Browser
) -> None:
    """SPEC §12: the package, its channels, hours and quota this month on the portal's
    home; staff read the organization's on the incident page; heads the channel report."""
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, desk, "alice", DEMO_PASSWORD)
    package = page.locator("[data-testid=my-package]")
    # The demo puts Acme on "Standard" through the broker, right after the desk starts.
    await reload_until(page, lambda: package.get_by_text("Standard").count())
    email = package.locator("tr[data-channel=email] [data-testid=quota-summary]")
    await expect(email).to_contain_text(re.compile(r"\d+ of 15 used, renews on \d{4}-\d\d-\d\d"))
    await expect(package.locator("tr[data-channel=phone]")).to_contain_text("Mon-Fri 09:00-18:00")
    await expect(package.locator("tr[data-channel=chat]")).to_contain_text("not included")
    await screenshot(page, "package-home-en")
    await page.click("a[lang=ru]")
    await expect(package.locator("h2")).to_contain_text("Ваш пакет")
    await expect(email).to_contain_text(re.compile(r"использовано \d+ из 15, обновится"))
    await expect(package.locator("tr[data-channel=chat]")).to_contain_text("не входит в пакет")
    await screenshot(page, "package-home-ru")
    await context.close()

    staff = await new_context(browser)
    head = await staff.new_page()
    await log_in(head, desk, "helen", DEMO_PASSWORD)
    alice = await desk.token("alice")
    async with desk.client() as http:
        filed = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {alice}"},
            json={"title": "Package check", "category_id": str(demo_id("category:consultation"))},
        )
    assert filed.status_code == 201, filed.text
    await head.goto(f"{desk.base_url}/incidents/{filed.json()['id']}")
    staff_card = head.locator("[data-testid=organization-package]")
    await expect(staff_card).to_contain_text("Standard")
    await expect(staff_card.locator("tr[data-channel=email]")).to_contain_text("of 15 used")
    await head.locator("[data-testid=nav-channels]").click()
    await expect(head.locator("h1")).to_have_text("Channel report")
    await expect(head.locator("[data-testid=channels-csv]")).to_have_attribute(
        "href", re.compile(r"^/api/v1/reports/channels\.csv\?segment_by=package")
    )
    await screenshot(head, "channel-report")
    # The heads' board has room for the low ratings (none, or those of other tests).
    await head.goto(desk.base_url + "/agents")
    await expect(head.locator("main")).to_contain_text("Low ratings")
    await staff.close()
