"""The whole desk as real processes in a namespace of its own, for end-to-end tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    drop_namespace,
    process_desk_settings,
    smtp_server,
    start_services,
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
    # Each process's name in the group (`routing`, `routing-2`…) and its health port.
    instances: dict[str, int]
    # Stops every process (and the proxy in front of several gateways).
    stop: Callable[[], Awaitable[None]]

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
    infra: Infrastructure, smtp_port: int, *, instances: int = 1, **overrides: object
) -> tuple[RunningDesk, object]:
    """The desk's services as processes, each `instances` times (with several, the
    gateways behind a round-robin proxy: desk_runtime.testing.start_services)."""
    settings = process_desk_settings(
        infra, "e", smtp_port, ARTIFACTS, **{"admin_password": "admin-e2e-password", **overrides}
    )
    namespace = settings.namespace
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{namespace}.log"
    log_file = log_path.open("w")
    processes = await start_services(settings, log_file, instances)
    desk = RunningDesk(
        processes.settings,
        processes.group,
        processes.base_url,
        log_path,
        processes.ports,
        processes.stop,
    )

    async def ready() -> bool:
        try:
            return await processes.ready()
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{desk.log()[-4000:]}") from None

    try:
        await wait_until(ready, timeout=60 * instances, interval=0.2)
    except BaseException:
        # A desk that did not come up must not outlive the test that wanted it.
        await desk.stop()
        log_file.close()
        await drop_namespace(settings)
        raise
    return desk, log_file


@contextlib.asynccontextmanager
async def running_desk(
    infra: Infrastructure, smtp_port: int, **overrides: Any
) -> AsyncIterator[RunningDesk]:
    """A whole desk for a module, stopped and its namespace removed afterwards."""
    running, log_file = await start_desk(infra, smtp_port, **overrides)
    try:
        yield running
    finally:
        await running.stop()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    async with running_desk(infra, smtp_module[0]) as running:
        yield running


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


__all__ = [
    "DEMO_PASSWORD",
    "RunningDesk",
    "demo_id",
    "poll_incident",
    "running_desk",
    "start_desk",
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium per browser-test module (tests/e2e/browser.py)."""
    from .browser import launch_chromium  # imports this module: import it late

    async for chromium in launch_chromium():
        yield chromium
