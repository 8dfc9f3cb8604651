"""The desk under `desk-run` and a steady load, for the fault suite: start the real
supervisor with the five services, file incidents from several clients while staff
answer and ask for information, break something, then check what the desk promised.

The supervisor under test is the one `make run` starts; the suite reads each child's pid
and restart count from its state file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import IO, Any, Protocol
from uuid import UUID, uuid4

import asyncpg
import httpx
from desk_contracts.messages import MAX_CAPACITY
from desk_contracts.topology import SERVICES, all_queues
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    environment_for,
    process_desk_settings,
    queue_depth,
    wait_until,
)
from portal_gateway.seed import DEMO_PASSWORD, demo_id

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_PASSWORD = "admin-faults-password"
CATEGORY = str(demo_id("category:fault/software"))
# Every n-th accepted incident is answered by staff and put to waiting on the client.
ANSWER_EVERY = 3


@dataclass
class SupervisedDesk:
    """`desk-run` as a real process in a namespace of its own."""

    settings: DeskSettings
    process: asyncio.subprocess.Process
    state_file: Path
    log_path: Path
    log_file: IO[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    def state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return state

    def child(self, service: str) -> dict[str, Any]:
        children: dict[str, dict[str, Any]] = self.state().get("children", {})
        return children.get(service, {})

    async def ready(self, services: tuple[str, ...] = tuple(SERVICES)) -> bool:
        async with httpx.AsyncClient(timeout=2) as http:
            for service in services:
                try:
                    answer = await http.get(
                        f"http://127.0.0.1:{self.settings.service_port(service)}/readyz"
                    )
                except httpx.TransportError:
                    return False
                if answer.status_code != 200:
                    return False
        return True

    async def kill(self, service: str, timeout: float = 60) -> tuple[int, int, float]:
        """`kill -9` of one child; returns (old pid, new pid, seconds until the new one
        answered ready)."""
        before = self.child(service)
        old_pid = int(before["pid"])
        killed_at = time.monotonic()
        os.kill(old_pid, signal.SIGKILL)

        async def back() -> bool:
            now = self.child(service)
            return bool(now.get("pid")) and now["pid"] != old_pid and await self.ready((service,))

        await wait_until(back, timeout=timeout, interval=0.05)
        return old_pid, int(self.child(service)["pid"]), time.monotonic() - killed_at

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def stop(self) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        self.log_file.close()
        return self.process.returncode or 0


async def start_supervised_desk(
    infra: Infrastructure, smtp_port: int, **overrides: Any
) -> SupervisedDesk:
    settings = process_desk_settings(
        infra, "f", smtp_port, ARTIFACTS, **{"admin_password": ADMIN_PASSWORD, **overrides}
    )
    namespace = settings.namespace
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{namespace}.log"
    state_file = ARTIFACTS / f"{namespace}.desk-run.json"
    log_file = log_path.open("w")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "desk_runtime.supervisor",
        "--no-mail-sink",
        "--raw",
        "--state-file",
        str(state_file),
        env={**environment_for(settings), "DESK_SMTP_HOST": "127.0.0.1"},
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    desk = SupervisedDesk(settings, process, state_file, log_path, log_file)

    async def up() -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"desk-run exited at start:\n{desk.log()[-4000:]}")
        return len(desk.state().get("children", {})) == len(SERVICES) and await desk.ready()

    try:
        await wait_until(up, timeout=90, interval=0.2)
    except BaseException:
        await desk.stop()
        raise
    return desk


class Reachable(Protocol):
    """A running desk as the load and the judgement need it: its settings and address
    (a supervised desk here, or the e2e suite's desk of several instances)."""

    settings: DeskSettings

    @property
    def base_url(self) -> str: ...


class Outcome(Exception):
    """A request the load generator could not get answered as it should."""


@dataclass
class Load:
    """Clients filing incidents at a steady total rate, each with an Idempotency-Key it
    keeps until the desk answers 201, and staff answering every few of them and asking
    the client for information. It records every answer's status."""

    desk: Reachable
    rate: float
    clients: int = 4
    # Each demo agent's capacity: the most by default (the suite measures assignment,
    # not a full backlog); less puts the agents at their limit and the rest in a backlog.
    capacity: int = MAX_CAPACITY
    accepted: dict[UUID, float] = field(default_factory=dict)  # incident id -> answered at
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    missing_retry_after: int = 0
    answered: list[UUID] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _to_answer: asyncio.Queue[UUID] = field(default_factory=asyncio.Queue)

    async def start(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.desk.base_url, timeout=20)
        self.client_token = await self._token("alice", DEMO_PASSWORD)
        self.staff_token = await self._token("admin", ADMIN_PASSWORD)
        await self._agents_with_room()
        started = time.monotonic()
        for n in range(self.clients):
            self._tasks.append(asyncio.create_task(self._client(n, started)))
        self._tasks.append(asyncio.create_task(self._staff()))

    async def _agents_with_room(self) -> None:
        """The demo's agents online with `capacity` each, as a head would set them for a
        busy day."""

        async def set_up(agent: str) -> bool:
            answer = await self.http.put(
                f"/api/v1/agents/{demo_id(f'user:{agent}')}",
                headers={"authorization": f"Bearer {self.staff_token}"},
                json={
                    "skills": [[]],
                    "capacity": self.capacity,
                    "presence": "online",
                    "group_head_id": str(demo_id("user:helen")),
                },
            )
            return answer.status_code == 200

        for agent in ("anna", "boris"):
            await wait_until(lambda agent=agent: set_up(agent), timeout=30, interval=0.2)

    async def _token(self, username: str, password: str) -> str:
        response = await self.http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    async def _call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """One request answered as the desk promises, retried (same body, same key) while
        the desk is restarting: a refused connection or a 503 with `Retry-After`."""
        headers = {"authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        while True:
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                self.transport_errors += 1
                await asyncio.sleep(0.2)
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 503:
                if "retry-after" not in response.headers:
                    self.missing_retry_after += 1
                await asyncio.sleep(0.2)
                continue
            if response.status_code >= 500:
                self.unexpected.append(f"{method} {path}: {response.status_code} {response.text}")
                await asyncio.sleep(0.2)
                continue
            return response

    async def _client(self, n: int, started: float) -> None:
        interval = self.clients / self.rate
        sent = 0
        while not self._stop.is_set():
            due = started + (sent + n / self.clients) * interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(0.0, due - time.monotonic()))
            if self._stop.is_set():
                return
            sent += 1
            key = str(uuid4())
            response = await self._call(
                "POST",
                "/api/v1/incidents",
                self.client_token,
                headers={"idempotency-key": key},
                json={
                    "title": f"Fault load {key}",
                    "description": "filed while the desk is being broken",
                    "category_id": CATEGORY,
                    "priority": "normal",
                },
            )
            if response.status_code != 201:
                self.unexpected.append(f"file: {response.status_code} {response.text}")
                continue
            incident_id = UUID(response.json()["id"])
            self.accepted[incident_id] = time.time()
            if len(self.accepted) % ANSWER_EVERY == 0:
                self._to_answer.put_nowait(incident_id)

    async def _staff(self) -> None:
        """A public answer, then `in_progress` and `waiting_on_client`, as an agent who
        needs more information would."""
        while not self._stop.is_set() or not self._to_answer.empty():
            try:
                incident_id = await asyncio.wait_for(self._to_answer.get(), 0.5)
            except TimeoutError:
                continue
            path = f"/api/v1/incidents/{incident_id}"
            reply = await self._call(
                "POST",
                f"{path}/entries",
                self.staff_token,
                headers={"idempotency-key": str(uuid4())},
                json={"text": "Which printer model is it?", "visibility": "public"},
            )
            if reply.status_code != 201:
                self.unexpected.append(f"reply: {reply.status_code} {reply.text}")
                continue
            for status in ("in_progress", "waiting_on_client"):
                # A change that already happened (retried after a lost answer) is a 409.
                changed = await self._call(
                    "POST", f"{path}/status", self.staff_token, json={"status": status}
                )
                if changed.status_code not in (200, 409):
                    self.unexpected.append(f"status: {changed.status_code} {changed.text}")
            self.answered.append(incident_id)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            await task
        await self.http.aclose()


async def _connect(settings: DeskSettings, service: str) -> asyncpg.Connection:
    return await asyncpg.connect(settings.database_url(service))


@dataclass
class Verdict:
    """What the desk did with the load, read from every service's own database, the
    broker and the mail server."""

    accepted: int = 0
    filed: int = 0
    unsettled: list[str] = field(default_factory=list)
    missing_deliveries: list[str] = field(default_factory=list)
    unsent_deliveries: list[str] = field(default_factory=list)
    missing_mails: list[str] = field(default_factory=list)
    repeated_mails: int = 0
    unknown_mails: int = 0
    outbox_rows: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    mails: int = 0
    deliveries: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "filed": self.filed,
            "unsettled": len(self.unsettled),
            "deliveries": self.deliveries,
            "mails": self.mails,
            "missing_deliveries": len(self.missing_deliveries),
            "unsent_deliveries": len(self.unsent_deliveries),
            "missing_mails": len(self.missing_mails),
            "repeated_mails": self.repeated_mails,
            "unknown_mails": self.unknown_mails,
            "outbox_rows": sum(self.outbox_rows.values()),
            "dead_letters": sum(self.dead_letters.values()),
        }


async def settle(desk: Reachable, load: Load, mailbox: Mailbox, timeout: float) -> Verdict:
    """Wait (up to `timeout`) until the desk has worked off the load, then judge it."""
    verdict = Verdict()

    async def done() -> bool:
        nonlocal verdict
        verdict = await judge(desk, load, mailbox)
        return not (
            verdict.unsettled
            or verdict.missing_deliveries
            or verdict.unsent_deliveries
            or verdict.missing_mails
            or any(verdict.outbox_rows.values())
        )

    with contextlib.suppress(TimeoutError):
        await wait_until(done, timeout=timeout, interval=1.0)
    return verdict


async def judge(desk: Reachable, load: Load, mailbox: Mailbox) -> Verdict:
    settings = desk.settings
    verdict = Verdict(accepted=len(load.accepted))
    accepted = list(load.accepted)
    intake = await _connect(settings, "intake")
    routing = await _connect(settings, "routing")
    notify = await _connect(settings, "notify")
    try:
        rows = await intake.fetch(
            "SELECT id, number, assignee_id, response_due, resolution_due FROM incidents "
            "WHERE title LIKE 'Fault load %'"
        )
        verdict.filed = len(rows)
        by_id = {row["id"]: row for row in rows}
        backlog = {r["incident_id"] for r in await routing.fetch("SELECT incident_id FROM backlog")}
        for incident_id in accepted:
            row = by_id.get(incident_id)
            if row is None:
                verdict.unsettled.append(f"{incident_id}: accepted but not stored")
            elif row["response_due"] is None or row["resolution_due"] is None:
                verdict.unsettled.append(f"{row['number']}: no due times")
            elif row["assignee_id"] is None and incident_id not in backlog:
                verdict.unsettled.append(f"{row['number']}: neither assigned nor backlogged")
        # What notify must have queued, from intake's own history of each incident.
        expected = await _expected_deliveries(intake, accepted, load.answered)
        deliveries = await notify.fetch(
            "SELECT id, incident_id, event_kind, status FROM deliveries "
            "WHERE channel = 'email' AND incident_id = ANY($1::uuid[])",
            accepted,
        )
        verdict.deliveries = len(deliveries)
        have = Counter((row["incident_id"], row["event_kind"]) for row in deliveries)
        for (incident_id, kind), count in expected.items():
            got = have[(incident_id, kind)]
            if got < count:
                verdict.missing_deliveries.append(f"{incident_id} {kind}: {got}/{count}")
        verdict.unsent_deliveries = [
            f"{row['id']} {row['event_kind']}: {row['status']}"
            for row in deliveries
            if row["status"] != "sent"
        ]
        # Mails matched to deliveries by the Message-ID each delivery carries.
        ids = Counter(_delivery_of(message) for message in list(mailbox.messages))
        verdict.mails = sum(ids.values())
        known = {str(row["id"]) for row in deliveries}
        for row in deliveries:
            if row["status"] == "sent" and ids[str(row["id"])] == 0:
                verdict.missing_mails.append(f"{row['id']} {row['event_kind']}")
        verdict.repeated_mails = sum(count - 1 for key, count in ids.items() if key in known)
        notify_ids = {str(r["id"]) for r in await notify.fetch("SELECT id FROM deliveries")}
        verdict.unknown_mails = sum(
            count for key, count in ids.items() if key is None or key not in notify_ids
        )
        for service in SERVICES:
            conn = await _connect(settings, service)
            try:
                verdict.outbox_rows[service] = await conn.fetchval("SELECT count(*) FROM outbox")
            finally:
                await conn.close()
        verdict.dead_letters["notify deliveries"] = await notify.fetchval(
            "SELECT count(*) FROM dead_letters"
        )
    finally:
        await intake.close()
        await routing.close()
        await notify.close()
    for queue in all_queues(settings.namespace):
        if queue.dead_letters is not None:
            with contextlib.suppress(Exception):
                ready, _ = await queue_depth(settings, queue.dead_letters)
                verdict.dead_letters[queue.dead_letters] = ready
    return verdict


async def _expected_deliveries(
    intake: asyncpg.Connection, accepted: list[UUID], answered: list[UUID]
) -> Counter[tuple[UUID, str]]:
    """The e-mails SPEC §6 promises for what happened: the requester's confirmation of
    each incident, the assignee's notice of each assignment, and for each answered one the
    public reply and the request for information."""
    expected: Counter[tuple[UUID, str]] = Counter()
    for incident_id in accepted:
        expected[(incident_id, "incident_registered")] += 1
    for row in await intake.fetch(
        "SELECT incident_id, count(*) AS n FROM entries "
        "WHERE kind = 'assignment' AND incident_id = ANY($1::uuid[]) GROUP BY incident_id",
        accepted,
    ):
        expected[(row["incident_id"], "incident_assigned")] += row["n"]
    for incident_id in answered:
        expected[(incident_id, "public_reply")] += 1
        expected[(incident_id, "waiting_on_client")] += 1
    return expected


def assert_promises_kept(load: Load, verdict: Verdict, resends_allowed: int = 0) -> None:
    """SPEC §6 and §9 under faults: every answer as promised (a success, or a 503 with
    `Retry-After`), every accepted incident stored once and worked, every promised mail
    queued once, sent and received, nothing left in an outbox or in the dead letters.

    A mail the server took while notify died before hearing its 250 goes again, under
    the same Message-ID (services/notify/README.md): at most `resends_allowed` such
    copies, the sends one killed notify can have had under way."""
    assert not load.unexpected, load.unexpected[:5]
    assert load.missing_retry_after == 0
    assert verdict.accepted > 0
    assert verdict.filed == verdict.accepted, "an incident was filed twice or lost"
    assert not verdict.unsettled, verdict.unsettled[:5]
    assert not verdict.missing_deliveries, verdict.missing_deliveries[:5]
    assert not verdict.unsent_deliveries, verdict.unsent_deliveries[:5]
    assert not verdict.missing_mails, verdict.missing_mails[:5]
    assert verdict.repeated_mails <= resends_allowed
    assert verdict.unknown_mails == 0
    assert not any(verdict.outbox_rows.values()), verdict.outbox_rows
    assert not any(verdict.dead_letters.values()), verdict.dead_letters


def _delivery_of(message: EmailMessage) -> str | None:
    """The delivery id in a mail's Message-ID (`<delivery-id@domain>`)."""
    value = str(message.get("Message-ID", "")).strip().lstrip("<")
    local = value.split("@", 1)[0]
    try:
        return str(UUID(local))
    except ValueError:
        return None


async def assignment_lags(
    desk: SupervisedDesk, load: Load, since: float, until: float
) -> list[float]:
    """Seconds from the desk's 201 to routing's assignment (as intake recorded it) of the
    incidents accepted in [since, until) (epoch seconds)."""
    window = {i: at for i, at in load.accepted.items() if since <= at < until}
    intake = await _connect(desk.settings, "intake")
    try:
        rows = await intake.fetch(
            "SELECT id, extract(epoch FROM assigned_at) AS at FROM incidents "
            "WHERE id = ANY($1::uuid[]) AND assigned_at IS NOT NULL",
            list(window),
        )
    finally:
        await intake.close()
    return sorted(max(0.0, float(row["at"]) - window[row["id"]]) for row in rows)


def report(name: str, data: dict[str, Any]) -> None:
    """The suite's figures, printed and kept under test-artifacts/ for the notes."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-{name}.json").write_text(json.dumps(data, indent=2, default=str))
    print(f"\n{name}: {json.dumps(data, default=str)}")
