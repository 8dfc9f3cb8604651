"""The broker goes away for ten seconds while clients use the API and the portal, then
comes back (a proxy in front of the real broker is cut and restored, as a broker restart
would look to the services):

- meanwhile every answer is a success or a 503 with `Retry-After` and a message in the
  reader's language — never a 500, never a hang;
- every service is ready again soon after (the seconds are reported, not asserted);
- an incident accepted just before the cut is assigned and timed after it (the outbox
  relay publishes what it could not), and so is one filed after the restore."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from desk_contracts.topology import SERVICES
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import Infrastructure, Mailbox, drop_namespace, wait_until

from .conftest import ARTIFACTS, RunningDesk, demo_id, poll_incident, start_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

CUT_SECONDS = 10.0
ADMIN_PASSWORD = "admin-e2e-password"
CATEGORY = str(demo_id("category:fault/software"))
# The portal's and the API's words for "not now" (gateway i18n), per language.
UNAVAILABLE_WORDS = {"en": "not responding", "ru": "не отвечает"}


@dataclass
class Desk:
    running: RunningDesk
    proxy: TcpProxy


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outage_desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[Desk]:
    """The desk with every broker connection through a proxy the test can cut."""
    broker = urlsplit(infra.amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    port = await proxy.start()
    netloc = f"{broker.netloc.rsplit(':', 1)[0] if broker.port else broker.netloc}:{port}"
    behind = Infrastructure(infra.postgres_url, urlunsplit(broker._replace(netloc=netloc)))
    running, log_file = await start_desk(behind, smtp_module[0])
    try:
        yield Desk(running, proxy)
    finally:
        await proxy.restore()
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)
        await proxy.close()


@dataclass
class Answer:
    what: str
    phase: str
    status: int | None  # None: no HTTP answer at all (a transport error)
    retry_after: str | None = None
    text: str = ""
    seconds: float = 0.0


@dataclass
class Traffic:
    """Clients calling the API and the portal in a loop, every answer kept."""

    desk: RunningDesk
    token: str
    cookie: str
    phase: str = "before"
    answers: list[Answer] = field(default_factory=list)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (phase, incident id)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def _call(
        self,
        what: str,
        send: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
        cookies: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        phase, started = self.phase, time.monotonic()
        # Longer than any wait of the gateway's own: a hang shows as a transport error.
        async with httpx.AsyncClient(
            base_url=self.desk.base_url, timeout=30, cookies=cookies
        ) as http:
            try:
                response = await send(http)
            except httpx.TransportError as error:
                self.answers.append(Answer(what, phase, None, text=repr(error)))
                return None
        self.answers.append(
            Answer(
                what,
                phase,
                response.status_code,
                response.headers.get("retry-after"),
                response.text[:2000],
                time.monotonic() - started,
            )
        )
        return response

    async def file(self, key: str | None = None) -> int | None:
        """File an incident (again, with the same `key`: the desk files it once)."""
        auth = {"authorization": f"Bearer {self.token}", "Idempotency-Key": key or str(uuid4())}
        body = {"title": "Printer offline", "category_id": CATEGORY, "priority": "normal"}
        phase = self.phase
        response = await self._call(
            "api-file", lambda http: http.post("/api/v1/incidents", headers=auth, json=body)
        )
        if response is None:
            return None
        if response.status_code == 201:
            self.accepted.append((phase, response.json()["id"]))
        return response.status_code

    async def read_api(self, language: str) -> None:
        headers = {"authorization": f"Bearer {self.token}", "accept-language": language}
        await self._call(
            f"api-list-{language}",
            lambda http: http.get("/api/v1/incidents", headers=headers, params={"limit": 5}),
        )

    async def read_page(self, language: str) -> None:
        cookies = {"desk_session": self.cookie, "desk_lang": language}
        await self._call(f"page-list-{language}", lambda http: http.get("/incidents"), cookies)

    async def loop(self, step: Callable[[], Awaitable[None]], pause: float) -> None:
        while not self.stop.is_set():
            await step()
            await asyncio.sleep(pause)


async def _web_session(desk: RunningDesk, username: str) -> str:
    async with desk.client() as http:
        response = await http.post(
            "/api/v1/auth/login", json={"username": username, "password": "demo-desk-2026"}
        )
        assert response.status_code == 200, response.text
        return str(http.cookies["desk_session"])


async def _intake_backlog(desk: RunningDesk) -> int:
    """intake's unpublished outbox rows, as its `/readyz` reports them."""
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            report = await http.get(
                f"http://127.0.0.1:{desk.settings.service_port('intake')}/readyz"
            )
        except httpx.TransportError:
            return 0
    backlog: int = report.json().get("outbox", {}).get("backlog", 0)
    return backlog


async def _all_ready(desk: RunningDesk) -> bool:
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            checks = await asyncio.gather(
                *(
                    http.get(f"http://127.0.0.1:{desk.settings.service_port(s)}/readyz")
                    for s in SERVICES
                )
            )
        except httpx.TransportError:
            return False
    return all(check.status_code == 200 for check in checks)


async def _filed(traffic: Traffic, key: str) -> bool:
    """Filed (again) under `key`: True on a 201, False on a 503 (not yet), else a failure."""
    status = await traffic.file(key)
    assert status in (201, 503), traffic.answers[-1]
    return status == 201


def _settled(body: dict[str, Any]) -> bool:
    return (
        body["status"] == "assigned"
        and body["response_due"] is not None
        and body["resolution_due"] is not None
    )


async def test_a_broker_outage_gives_503s_then_the_desk_recovers_and_catches_up(
    outage_desk: Desk,
) -> None:
    desk, proxy = outage_desk.running, outage_desk.proxy
    admin = await desk.token("admin", ADMIN_PASSWORD)
    async with desk.client() as http:
        # Room for everything this test files: each incident must be assigned.
        response = await http.patch(
            f"/api/v1/agents/{demo_id('user:anna')}",
            headers={"authorization": f"Bearer {admin}"},
            json={"capacity": 500},
        )
        assert response.status_code == 200, response.text
    traffic = Traffic(desk, await desk.token("alice"), await _web_session(desk, "alice"))
    clients = [
        asyncio.create_task(traffic.loop(traffic.file, 0.2)),
        asyncio.create_task(traffic.loop(lambda: traffic.read_api("en"), 0.2)),
        asyncio.create_task(traffic.loop(lambda: traffic.read_api("ru"), 0.3)),
        asyncio.create_task(traffic.loop(lambda: traffic.read_page("en"), 0.3)),
        asyncio.create_task(traffic.loop(lambda: traffic.read_page("ru"), 0.3)),
    ]
    await asyncio.sleep(3)
    # A burst in flight when the broker goes: intake may have filed some of these (their
    # answers lost with the connection); asked again with the same keys after the
    # restore, each is filed once, and must be worked like the rest.
    keys = [str(uuid4()) for _ in range(16)]
    burst = [asyncio.create_task(traffic.file(key)) for key in keys]
    # Cut as the first of them is answered: intake is working on the others.
    await asyncio.wait(burst, return_when=asyncio.FIRST_COMPLETED)
    traffic.phase = "cut"
    await proxy.cut()
    await asyncio.gather(*burst)
    backlog = 0
    cut_ends = time.monotonic() + CUT_SECONDS
    while time.monotonic() < cut_ends:
        backlog = max(backlog, await _intake_backlog(desk))
        await asyncio.sleep(0.5)
    await proxy.restore()
    restored, restored_at = time.monotonic(), datetime.now(UTC)
    traffic.phase = "after"
    await wait_until(lambda: _all_ready(desk), timeout=120, interval=0.2)
    ready_after = time.monotonic() - restored
    await asyncio.sleep(2)
    traffic.stop.set()
    await asyncio.gather(*clients)
    refiled = len(traffic.accepted)
    for key in keys:
        await wait_until(lambda key=key: _filed(traffic, key), timeout=60, interval=0.5)
    burst_ids = [incident_id for _, incident_id in traffic.accepted[refiled:]]
    assert len(set(burst_ids)) == len(keys)

    statuses = Counter((a.phase, a.status) for a in traffic.answers)
    cut_answers = [a for a in traffic.answers if a.phase == "cut"]
    report = {
        "restore_to_all_ready_s": round(ready_after, 2),
        "answers": {f"{phase}:{status}": n for (phase, status), n in sorted(statuses.items())},
        "500s": sum(1 for a in traffic.answers if a.status == 500),
        "slowest_answer_during_cut_s": round(max((a.seconds for a in cut_answers), default=0), 2),
        "accepted": Counter(phase for phase, _ in traffic.accepted),
        "intake_outbox_backlog_during_cut": backlog,
    }
    print("broker outage:", json.dumps(report))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "broker-outage.json").write_text(json.dumps(report, indent=2))
    broken = [a for a in traffic.answers if a.status is None or a.status >= 500]
    for answer in broken:
        if answer.status != 503 or not answer.retry_after:
            print("broker outage, failed answer:", answer)

    # Filed after the restore: assigned and timed, nothing stuck.
    token = traffic.token
    await traffic.file()
    latest = traffic.accepted[-1]
    assert traffic.answers[-1].status == 201, traffic.answers[-1]
    started = time.monotonic()
    await poll_incident(desk, token, latest[1], _settled, timeout=60)
    print("broker outage: filed after the restore, settled in", time.monotonic() - started)
    # Everything accepted, before, around and after the cut, is worked.
    settled = {
        incident_id: await poll_incident(desk, token, incident_id, _settled, timeout=90)
        for _, incident_id in traffic.accepted
    }
    stored_before_restore = sum(
        1
        for incident_id in burst_ids
        if datetime.fromisoformat(str(settled[incident_id]["created_at"])) < restored_at
    )
    print(
        "broker outage: burst incidents intake had filed before the restore:", stored_before_restore
    )

    assert all(a.status == 503 for a in broken), [a for a in broken if a.status != 503][:3]
    assert all(a.retry_after for a in broken), [a for a in broken if not a.retry_after][:3]
    for answer in broken:
        language = answer.what.rsplit("-", 1)[-1]
        if language in UNAVAILABLE_WORDS:
            assert UNAVAILABLE_WORDS[language] in answer.text, answer
    assert any(a.status == 503 for a in cut_answers), "the cut was not noticed"
    assert any(phase == "before" for phase, _ in traffic.accepted)
