"""The equipment pages in a real browser: a client reads the organization's devices
and a device's page in their language, names a device on the new-incident form and
sees it on the incident's page; an admin imports a list and reads its report."""

from __future__ import annotations

from uuid import uuid4

import pytest
from playwright.async_api import Browser, expect
from portal_gateway.seed import ACME, DEMO_EQUIPMENT

from .browser import log_in, new_context, screenshot
from .conftest import DEMO_PASSWORD, RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_client_reads_the_equipment_and_names_a_device_when_filing(
    desk: RunningDesk, browser: Browser
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await log_in(page, desk, "carl", DEMO_PASSWORD)  # carl reads Russian
        await page.click("[data-testid=nav-equipment]")
        await expect(page.locator("h1")).to_contain_text("Оборудование")
        rows = page.locator("[data-testid=equipment-row]")
        await expect(rows).to_have_count(len(DEMO_EQUIPMENT))
        _, maker, serial, *_ = DEMO_EQUIPMENT[0]
        await page.click(f"text={serial}")
        await expect(page.locator("[data-testid=device-title]")).to_contain_text(serial)
        await expect(page.locator("[data-testid=device-coverage]")).to_contain_text("На гарантии")
        await screenshot(page, "equipment-device")

        await page.goto(desk.base_url + "/incidents/new")
        device = str(demo_id(f"equipment:{maker}/{serial}"))
        await page.fill("#title", "Принтер не печатает")
        await page.select_option("#category_id", str(demo_id("category:fault/hardware")))
        await page.select_option("#equipment_id", device)
        await page.click("main form button[type=submit]")
        box = page.locator("[data-testid=incident-equipment]")
        await expect(box).to_contain_text(serial)
        await expect(box).to_contain_text("На гарантии на дату регистрации")
    finally:
        await context.close()


async def test_an_admin_imports_a_list_and_reads_the_rejected_rows(
    desk: RunningDesk, browser: Browser
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    tag = uuid4().hex[:6].upper()
    try:
        await log_in(page, desk, "admin", "admin-e2e-password")
        await page.goto(desk.base_url + "/admin/equipment/import")
        await page.select_option("#organization_id", str(demo_id(f"organization:{ACME}")))
        csv_text = (
            "model,manufacturer,serial_number,warranty_until\n"
            f"LaserJet,HP,WEB-{tag}-1,2030-01-31\n"
            f"LaserJet,HP,WEB-{tag}-2,2030-02-30\n"
        )
        await page.set_input_files(
            "#file", {"name": "list.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
        )
        await page.click("[data-testid=import-form] button[type=submit]")
        report = page.locator("[data-testid=import-report]")
        await expect(report).to_contain_text("Imported: 1; rejected: 1")
        await expect(page.locator("[data-testid=import-rejected]")).to_contain_text(
            "not a date (write YYYY-MM-DD)"
        )
        await expect(page.locator("[data-testid=import-accepted]")).to_contain_text(f"WEB-{tag}-1")
        await screenshot(page, "equipment-import")

        # A malformed file: the reason, and nothing imported.
        await page.select_option("#organization_id", str(demo_id(f"organization:{ACME}")))
        await page.set_input_files(
            "#file",
            {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"model,serial\nX,WEB-9\n"},
        )
        await page.click("[data-testid=import-form] button[type=submit]")
        await expect(page.locator("[data-testid=import-error]")).to_contain_text("serial")
        await expect(page.locator("[data-testid=import-report]")).to_have_count(0)
    finally:
        await context.close()
