"""The whole desk as real processes in a namespace of its own, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from desk_contracts.topology import SERVICES
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    drop_namespace,
    environment_for,
    process_desk_settings,
    smtp_server,
    wait_until,
)

# The demo data set is the gateway's; the tests use its ids and password as they are.
from portal_gateway.seed import DEMO_PASSWORD, demo_id

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class RunningDesk:
    settings: DeskSettings
    group: ProcessGroup
    base_url: str
    log_path: Path

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=15)

    async def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        async with self.client() as http:
            response = await http.post(
                "/api/v1/auth/token", json={"username": username, "password": password}
            )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def page(self, path: str, username: str, password: str = DEMO_PASSWORD) -> str:
        """A portal page as the user's browser gets it (signed in with a session cookie)."""
        async with self.client() as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
            assert login.status_code == 200, login.text
            response = await http.get(path)
        assert response.status_code == 200, response.text
        return response.text

    async def restart(self, service: str) -> None:
        await self.group.stop(service)
        await self.group.start_service(service)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def start_desk(
    infra: Infrastructure, smtp_port: int, **overrides: object
) -> tuple[RunningDesk, object]:
    settings = process_desk_settings(
        infra, "e", smtp_port, ARTIFACTS, **{"admin_password": "admin-e2e-password", **overrides}
    )
    namespace = settings.namespace
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{namespace}.log"
    log_file = log_path.open("w")
    group = ProcessGroup(env=environment_for(settings), output=log_file)
    for service in SERVICES:
        await group.start_service(service)
    desk = RunningDesk(settings, group, f"http://127.0.0.1:{settings.http_port}", log_path)

    async def ready() -> bool:
        if group.exited():
            raise RuntimeError(f"{group.exited()} exited at start:\n{desk.log()[-4000:]}")
        async with desk.client() as http:
            try:
                checks = [
                    await http.get(f"http://127.0.0.1:{settings.service_port(s)}/readyz")
                    for s in SERVICES
                ]
            except httpx.TransportError:
                return False
        return all(r.status_code == 200 for r in checks)

    try:
        await wait_until(ready, timeout=60, interval=0.2)
    except BaseException:
        # A desk that did not come up must not outlive the test that wanted it.
        await group.stop_all()
        log_file.close()
        await drop_namespace(settings)
        raise
    return desk, log_file


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    running, log_file = await start_desk(infra, smtp_module[0])
    try:
        yield running
    finally:
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


@pytest.fixture(scope="module")
def smtp_module() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


async def poll_incident(
    desk: RunningDesk, token: str, incident_id: str, predicate: object, timeout: float = 20
) -> dict[str, object]:
    async def check() -> dict[str, object] | None:
        async with desk.client() as http:
            response = await http.get(
                f"/api/v1/incidents/{incident_id}", headers={"authorization": f"Bearer {token}"}
            )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body if predicate(body) else None  # type: ignore[operator]

    result: dict[str, object] = await wait_until(check, timeout=timeout, interval=0.1)
    return result


__all__ = ["DEMO_PASSWORD", "RunningDesk", "demo_id", "poll_incident", "start_desk"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium per browser-test module (tests/e2e/browser.py)."""
    from .browser import launch_chromium  # imports this module: import it late

    async for chromium in launch_chromium():
        yield chromium
