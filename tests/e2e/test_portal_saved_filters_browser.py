"""Saved filters on the incident list in a real headless Chromium against the whole desk:
an agent saves the current filters under a name, opens them again from the link, is told
why a save was refused (no name, nothing to save, a name already taken) and deletes the
filter; a client sees only their own saved filters, gets a 404 page for a forged delete
of someone else's, and is refused a 51st. Beside them, the list's tree says what each
number counts, and times read in the reader's own zone (profile) in both languages.

A screenshot of the list with its saved filters lands in test-artifacts/screens/."""

from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.async_api import Browser, Page, expect

from .browser import log_in, new_context, reload_until, screenshot
from .conftest import DEMO_PASSWORD, RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def _filter(page: Page, *, status: str = "", priority: str = "") -> None:
    filters = page.locator("form[role=search]")
    await filters.locator("#f-status").select_option(status)
    await filters.locator("#f-priority").select_option(priority)
    await filters.locator("button[type=submit]").click()


async def _save(page: Page, name: str) -> None:
    form = page.locator("[data-testid=save-filters]")
    await form.locator("#saved-name").fill(name)
    await form.locator("button[type=submit]").click()


async def test_save_reopen_refuse_and_delete_filters_in_the_browser(
    desk: RunningDesk, browser: Browser
) -> None:
    agent_context = await new_context(browser)
    anna = await agent_context.new_page()
    await log_in(anna, desk, "anna", DEMO_PASSWORD)
    await anna.goto(desk.base_url + "/incidents")
    saved = anna.locator("[data-testid=saved-filters]")
    flash = anna.locator("[data-testid=flash]")
    links = saved.locator("[data-testid=saved-filter] a")
    await expect(saved).to_contain_text("No saved filters yet.")

    # --- nothing set: nothing to save ---------------------------------------------------
    await _save(anna, "Everything")
    await expect(flash).to_contain_text("Set at least one filter before saving.")
    await expect(links).to_have_count(0)

    # --- filter by priority and status, save under a name -------------------------------
    await _filter(anna, status="new", priority="critical")
    await expect(anna).to_have_url(re.compile(r"priority=critical"))
    await _save(anna, "   ")
    await expect(flash).to_contain_text("Give the saved filter a name.")
    await expect(links).to_have_count(0)
    # The refusal keeps the filters the reader had.
    await expect(anna.locator("#f-priority")).to_have_value("critical")

    await _save(anna, "Critical new")
    await expect(flash).to_contain_text("Filters saved as “Critical new”.")
    link = saved.get_by_role("link", name="Critical new")
    await expect(link).to_be_visible()
    await expect(link).to_have_attribute("href", "/incidents?status=new&priority=critical")
    await expect(link).to_have_attribute("aria-current", "true")
    await screenshot(anna, "incidents-saved-filters")

    # --- reset, then the saved link brings the filters back -----------------------------
    await anna.locator("form[role=search] a", has_text="Reset").click()
    await expect(anna).to_have_url(re.compile(r"/incidents$"))
    await expect(anna.locator("#f-priority")).to_have_value("")
    await expect(anna.locator("#f-status")).to_have_value("")
    await expect(link).not_to_have_attribute("aria-current", "true")
    await link.click()
    await expect(anna).to_have_url(re.compile(r"/incidents\?status=new&priority=critical$"))
    await expect(anna.locator("#f-priority")).to_have_value("critical")
    await expect(anna.locator("#f-status")).to_have_value("new")
    await expect(link).to_have_attribute("aria-current", "true")

    # --- the same name again (in any case) is refused, nothing written ------------------
    await _filter(anna, status="", priority="high")
    await _save(anna, "critical NEW")
    await expect(flash).to_contain_text("You already have a saved filter with this name.")
    await expect(links).to_have_count(1)
    await expect(anna.locator("#f-priority")).to_have_value("high")

    # --- a client sees only their own, and cannot delete anna's ------------------------
    delete_action = await saved.locator("[data-testid=saved-filter] form").get_attribute("action")
    assert delete_action is not None
    assert re.fullmatch(r"/incidents/saved-filters/[0-9a-f-]{36}/delete", delete_action)

    client_context = await new_context(browser)
    alice = await client_context.new_page()
    await log_in(alice, desk, "alice", DEMO_PASSWORD)
    await alice.goto(desk.base_url + "/incidents")
    alice_saved = alice.locator("[data-testid=saved-filters]")
    await expect(alice_saved).to_be_visible()
    await expect(alice_saved).not_to_contain_text("Critical new")
    await _filter(alice, priority="high")
    await _save(alice, "My high ones")
    await expect(alice_saved.get_by_role("link", name="My high ones")).to_be_visible()
    await expect(alice_saved.locator("[data-testid=saved-filter]")).to_have_count(1)

    # A forged delete with alice's own session and CSRF token: a 404 page, nothing deleted.
    csrf = await alice.locator("[data-testid=save-filters] input[name=csrf_token]").input_value()
    forged = await alice.request.post(
        desk.base_url + delete_action, form={"csrf_token": csrf, "back": "/incidents"}
    )
    assert forged.status == 404
    assert "does not exist or is not yours" in await forged.text()
    await anna.reload()
    await expect(link).to_be_visible()

    # --- at most 50 each: 49 more through the form's own request, the 51st is refused ----
    for n in range(2, 51):
        answer = await alice.request.post(
            desk.base_url + "/incidents/saved-filters",
            form={"csrf_token": csrf, "name": f"Filter {n:02}", "query": f"q=word{n}"},
            max_redirects=0,
        )
        assert answer.status == 303
    await alice.reload()
    await expect(alice_saved.locator("[data-testid=saved-filter]")).to_have_count(50)
    await _save(alice, "One too many")
    await expect(alice.locator("[data-testid=flash]")).to_contain_text(
        "You can keep at most 50 saved filters; delete one first."
    )
    await expect(alice_saved.locator("[data-testid=saved-filter]")).to_have_count(50)

    # --- anna deletes hers; alice's stay --------------------------------------------------
    await saved.get_by_role("button", name="Delete saved filter Critical new").click()
    await expect(flash).to_contain_text("Saved filter deleted.")
    await expect(links).to_have_count(0)
    await expect(saved).to_contain_text("No saved filters yet.")
    await alice.reload()
    await expect(alice_saved.get_by_role("link", name="My high ones")).to_be_visible()

    await client_context.close()
    await agent_context.close()


async def _shows(page: Page, selector: str, words: str) -> bool:
    """Whether the first element the selector finds shows the words (none: not yet)."""
    found = page.locator(selector)
    return await found.count() > 0 and words in await found.first.inner_text()


async def _file(desk: RunningDesk, username: str, title: str) -> str:
    token = await desk.token(username)
    async with desk.client() as http:
        filed = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {token}"},
            json={
                "title": title,
                "category_id": str(demo_id("category:fault/software")),
                "priority": "normal",
            },
        )
    assert filed.status_code == 201, filed.text
    incident_id: str = filed.json()["id"]
    return incident_id


async def test_times_show_in_the_readers_zone_in_both_languages(
    desk: RunningDesk, browser: Browser
) -> None:
    """A zone of one's own in the profile (a bad one refused, naming the field, in the
    reader's language); the incident's due times then carry that zone's abbreviation and
    offset; without a choice, the organization's calendar zone (the demo's is UTC)."""
    incident_id = await _file(desk, "carl", "Times in Moscow")
    for login, language, bad, refused, zone, shown in (
        (
            "carl",
            "ru",
            "Марс/Олимп",
            "Неизвестный часовой пояс",
            "Europe/Moscow",
            "MSK (UTC+03:00)",
        ),
        ("alice", "en", "Mars/Olympus", "Unknown time zone", "Asia/Kolkata", "IST (UTC+05:30)"),
    ):
        context = await new_context(browser)
        page = await context.new_page()
        await log_in(page, desk, login, DEMO_PASSWORD)
        await page.goto(desk.base_url + "/profile")
        form = page.locator("[data-testid=profile-form]")
        await form.locator("#time_zone").fill(bad)
        await form.locator("button[type=submit]").click()
        await expect(page.locator("[data-testid=error-time_zone]")).to_contain_text(refused)
        await form.locator("#time_zone").fill(zone)
        await form.locator("button[type=submit]").click()
        await expect(page.locator("[data-testid=flash]")).to_be_visible()
        await expect(form.locator("#time_zone")).to_have_value(zone)
        await screenshot(page, f"profile-time-zone-{language}")
        if login == "carl":  # alice sees only her own incidents
            await page.goto(f"{desk.base_url}/incidents/{incident_id}")
            await reload_until(page, partial(_shows, page, "[data-testid=due-times]", shown))
            # The page's history lines quote times the same way.
            await expect(page.locator("[data-testid=history]")).to_contain_text(shown)
            await screenshot(page, f"incident-time-zone-{language}")
        # Back to the default: the organization's calendar zone.
        await page.goto(desk.base_url + "/profile")
        await form.locator("#time_zone").fill("")
        await form.locator("button[type=submit]").click()
        await expect(form.locator("#time_zone")).to_have_value("")
        await context.close()


async def test_the_staff_tree_says_what_each_number_counts(
    desk: RunningDesk, browser: Browser
) -> None:
    await _file(desk, "alice", "Counted in the tree")
    for login, open_word in (("anna", "open"), ("boris", "открыто")):
        context = await new_context(browser)
        page = await context.new_page()
        await log_in(page, desk, login, DEMO_PASSWORD)
        await page.goto(desk.base_url + "/incidents")
        tree = page.locator(".side .tree")
        await reload_until(page, partial(_shows, page, "[data-testid=tree-total]", open_word))
        await expect(tree.locator("[data-testid=tree-total]").first).to_contain_text(open_word)
        await expect(page.locator(".side .legend")).to_be_visible()
        await screenshot(page, f"incidents-tree-{'en' if login == 'anna' else 'ru'}")
        await context.close()
