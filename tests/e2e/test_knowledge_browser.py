"""The knowledge base in a real headless Chromium: answers appear beside the
new-incident form as a client picks a category and types, in English and in Russian,
and are answered in place; staff see the incident's articles and insert one into the
reply, which then links it; an editor writes an article with its preview following
the text, saves it, and a stale edit is told so. Screenshots land in
test-artifacts/screens/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from .browser import log_in, new_context, screenshot
from .conftest import DEMO_PASSWORD, RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

HARDWARE = str(demo_id("category:fault/hardware"))


@pytest.mark.parametrize(
    ("username", "typed", "title", "heading", "said"),
    [
        (
            "alice",
            "printer does not print",
            "The printer does not print invoices",
            "Answers that may help",
            "You said it helped.",
        ),
        (
            "carl",
            "принтер не печатает",
            "Принтер не печатает счета",
            "Ответы, которые могут помочь",
            "Вы отметили, что это помогло.",
        ),
    ],
)
async def test_answers_follow_the_form_live_and_are_answered_in_place(
    desk: RunningDesk,
    browser: Browser,
    username: str,
    typed: str,
    title: str,
    heading: str,
    said: str,
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await log_in(page, desk, username, DEMO_PASSWORD)
        await page.goto(desk.base_url + "/incidents/new")
        answers = page.locator("[data-testid=kb-suggestions]")
        await expect(answers.locator("h2")).to_have_text(heading)
        await page.select_option("#category_id", HARDWARE)
        await page.fill("#title", typed)
        # No submit: the block follows the category and the title.
        refreshed = page.locator(f'[data-testid=kb-suggestions][data-title="{typed}"]')
        await expect(refreshed).to_be_visible(timeout=30_000)
        suggestion = refreshed.locator("[data-testid=kb-suggestion]", has_text=title)
        await expect(suggestion).to_be_visible(timeout=30_000)
        await expect(page.locator("[data-testid=kb-suggestions]")).not_to_contain_text(
            "driver remotely"
        )
        await screenshot(page, f"kb-live-{username}")
        await suggestion.locator("[data-testid=kb-helped]").click()
        await expect(suggestion.locator("[data-testid=kb-answered]")).to_have_text(said)
        # What was typed is still there: nothing was submitted.
        await expect(page.locator("#title")).to_have_value(typed)
    finally:
        await context.close()


async def test_staff_insert_an_incident_article_into_the_reply(
    desk: RunningDesk, browser: Browser
) -> None:
    client = await desk.token("alice")
    async with desk.client() as http:
        filed = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {client}"},
            json={"title": "The printer does not print", "category_id": HARDWARE},
        )
    assert filed.status_code == 201, filed.text
    incident_id = filed.json()["id"]
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await log_in(page, desk, "anna", DEMO_PASSWORD)
        await page.goto(f"{desk.base_url}/incidents/{incident_id}")
        box = page.locator("[data-testid=kb-staff-suggestions]")
        await expect(box).to_contain_text("The printer does not print invoices")
        # Staff see the internal article too, but only public ones go into a reply.
        await expect(box).to_contain_text("driver remotely")
        await box.locator("button[data-kb-insert]").first.click()
        article = demo_id("article:printer-invoices")
        await expect(page.locator("#reply-text")).to_have_value(
            re.compile(
                rf"^The printer does not print invoices: Check that the tray .*\(/kb/{article}\)$"
            )
        )
        # Inserting it links it: the reply keeps which article it answered with.
        await expect(page.locator("#reply-article")).to_have_value(str(article))
        await page.click("[data-testid=reply-form] button[type=submit]")
        await expect(page.locator("[data-testid=entry-article]")).to_have_count(1)
        await expect(page.locator("[data-testid=entry-article] a")).to_have_attribute(
            "href", f"/kb/{article}"
        )
    finally:
        await context.close()


async def test_an_editor_writes_an_article_with_its_preview_and_is_told_of_a_stale_edit(
    desk: RunningDesk, browser: Browser
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await log_in(page, desk, "helen", DEMO_PASSWORD)
        await page.goto(desk.base_url + "/kb/editor")
        await page.click("[data-testid=kb-new-article]")
        await page.fill("#title_en", "Toner smears")
        await page.fill("#body_en", "Shake the **toner** cartridge. <script>alert(1)</script>")
        # The preview follows the text, rendered by knowledge's own safe renderer.
        preview = page.locator("[data-testid=kb-preview-en]")
        await expect(preview.locator("strong")).to_have_text("toner", timeout=30_000)
        await expect(preview).to_contain_text("<script>alert(1)</script>")
        await expect(preview.locator("script")).to_have_count(0)
        await page.fill("#title_ru", "Тонер мажет")
        await page.fill("#body_ru", "Встряхните *картридж*.")
        await expect(page.locator("[data-testid=kb-preview-ru] em")).to_have_text("картридж")
        await page.check(f'input[name=category_ids][value="{HARDWARE}"]')
        await page.select_option("#status", "published")
        await screenshot(page, "kb-editor-preview")
        await page.click("[data-testid=kb-editor] button[value=save]")
        versions = page.locator("[data-testid=kb-versions] li")
        await expect(versions).to_have_count(1)
        article_id = page.url.rstrip("/").rsplit("/", 1)[1]

        # Someone else saves meanwhile: this editor's save is refused and says so, with
        # what was typed kept.
        helen = await desk.token("helen")
        async with desk.client() as http:
            changed = await http.patch(
                f"/api/v1/kb/articles/{article_id}",
                headers={"authorization": f"Bearer {helen}"},
                json={"keywords": ["toner"]},
            )
        assert changed.status_code == 200, changed.text
        await page.fill("#body_en", "Shake the cartridge gently.")
        await page.click("[data-testid=kb-editor] button[value=save]")
        await expect(page.locator("[data-testid=form-errors]")).to_contain_text("version 2")
        await expect(page.locator("#body_en")).to_have_value("Shake the cartridge gently.")
        await page.goto(f"{desk.base_url}/kb/editor/{article_id}")
        await expect(versions).to_have_count(2)
    finally:
        await context.close()
