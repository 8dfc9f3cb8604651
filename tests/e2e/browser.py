"""What the browser tests share: Debian's Chromium driven by Playwright, a fresh
context per user, logging in through the login page, screenshots as test artefacts.

The `browser` fixture itself lives in conftest.py (one Chromium per test module)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from desk_runtime.testing import wait_until
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from .conftest import ARTIFACTS, RunningDesk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENS = ARTIFACTS / "screens"


async def launch_chromium() -> AsyncIterator[Browser]:
    SCREENS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_context(browser: Browser, *, phone: bool = False) -> BrowserContext:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844} if phone else {"width": 1366, "height": 900},
        locale="en-US",
    )
    context.set_default_timeout(20_000)
    return context


async def log_in(page: Page, desk: RunningDesk, username: str, password: str) -> None:
    await page.goto(desk.base_url + "/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("main form button[type=submit]")
    await expect(page.locator("[data-testid=who]")).to_be_visible()


async def screenshot(page: Page, name: str) -> Path:
    path = SCREENS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def reload_until(page: Page, check: Any, timeout: float = 30) -> None:
    """Reload until the page shows what an asynchronous step (routing, SLA) produces."""

    async def ready() -> bool:
        await page.reload()
        return bool(await check())

    await wait_until(ready, timeout=timeout, interval=0.3)
