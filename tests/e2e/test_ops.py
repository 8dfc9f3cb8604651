"""Operations through the real gateway and processes: health of every service, queues,
a poison message dead-lettered with its reason and the consumer's error, replayed once
the cause is fixed and then consumed, every action recorded with who did it; metrics
after a small flow; the ops page; the desk-ops command line."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.enums import Channel, Priority
from desk_contracts.messages import IncidentAssigned, IncidentRegistered
from desk_contracts.topology import SERVICES, consumer_queue, dead_letter_queue
from desk_runtime.testing import Infrastructure, Mailbox, drop_namespace, publish, wait_until

from .conftest import RunningDesk, demo_id, start_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ADMIN_PASSWORD = "admin-e2e-password"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the desk's notify reads operators' template overrides from."""
    return tmp_path_factory.mktemp("templates")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox], templates: Path
) -> AsyncIterator[RunningDesk]:
    running, log_file = await start_desk(infra, smtp_module[0], template_dir=str(templates))
    try:
        yield running
    finally:
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


async def _admin(desk: RunningDesk) -> dict[str, str]:
    return {"authorization": f"Bearer {await desk.token('admin', ADMIN_PASSWORD)}"}


async def _get(desk: RunningDesk, path: str, headers: dict[str, str], **params: Any) -> Any:
    async with desk.client() as http:
        response = await http.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _metrics(desk: RunningDesk, service: str) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"http://127.0.0.1:{desk.settings.service_port(service)}/metrics")
    assert response.status_code == 200
    return response.text


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series in the Prometheus text format (0 when absent); labels in
    any order."""
    for line in metrics.splitlines():
        match = _SERIES.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(_LABEL.findall(match["labels"] or ""))
        if found == labels:
            return float(match["value"])
    return 0.0


_SERIES = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'([a-z_]+)="([^"]*)"')


async def test_health_and_queues_show_every_service_and_queue(desk: RunningDesk) -> None:
    admin = await _admin(desk)
    health = await _get(desk, "/api/v1/ops/health", admin)
    assert health["ready"] is True
    assert [s["service"] for s in health["services"]] == list(SERVICES)
    for service in health["services"]:
        assert service["checks"]["database"] == "ok"
        assert service["checks"]["broker"] == "ok"
        assert service["checks"]["consumers"] == "ok"
        assert service["port"] == desk.settings.service_port(service["service"])

    queues = await _get(desk, "/api/v1/ops/queues", admin)
    assert queues["source"] == "declare"
    by_name = {q["name"]: q for q in queues["items"]}
    assigned = consumer_queue(desk.settings.namespace, "notify", IncidentAssigned)
    assert by_name[assigned]["consumers"] >= 1
    assert by_name[assigned]["dead_letter_queue"] == dead_letter_queue(assigned)
    assert by_name[dead_letter_queue(assigned)]["kind"] == "dead-letters"
    assert all(q["error"] is None for q in queues["items"])


async def test_only_admins_and_operators_reach_operations(desk: RunningDesk) -> None:
    async with desk.client() as http:
        assert (await http.get("/api/v1/ops/queues")).status_code == 401
        for username in ("alice", "anna", "helen"):
            headers = {"authorization": f"Bearer {await desk.token(username)}"}
            for path in ("/api/v1/ops/health", "/api/v1/ops/dead-letters", "/ops"):
                assert (await http.get(path, headers=headers)).status_code == 403, (username, path)
            response = await http.post(
                "/api/v1/ops/dead-letters/discard",
                headers=headers,
                json={"queue": "anything.dead"},
            )
            assert response.status_code == 403
        admin = await _admin(desk)
        response = await http.post(
            "/api/v1/ops/dead-letters/replay", headers=admin, json={"queue": "not-ours.dead"}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "queue"
        # An operator (created by an admin) sees operations and nothing of an admin's.
        created = await http.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "olga",
                "password": "operator-password-1",
                "display_name": "Olga Operator",
                "role": "operator",
            },
        )
        assert created.status_code == 201, created.text
        olga = {"authorization": f"Bearer {await desk.token('olga', 'operator-password-1')}"}
        for path in ("/api/v1/ops/health", "/api/v1/ops/queues", "/api/v1/ops/actions", "/ops"):
            assert (await http.get(path, headers=olga)).status_code == 200, path
        assert (await http.get("/api/v1/users", headers=olga)).status_code == 403


async def test_a_poison_message_is_dead_lettered_explained_and_replayed_once_fixed(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox], templates: Path
) -> None:
    mailbox = smtp_module[1]
    admin = await _admin(desk)
    namespace = desk.settings.namespace
    queue = consumer_queue(namespace, "notify", IncidentAssigned)
    dead = dead_letter_queue(queue)
    anna = demo_id("user:anna")
    incident_id = uuid4()
    # notify knows the incident (routing gives it to the generalist boris, so notify also
    # handles an assignment of its own to him, in Russian: only the replayed one is
    # anna's).
    registered = IncidentRegistered(
        incident_id=incident_id,
        number="INC-990001",
        title="Replayed after the fix",
        category_id=uuid4(),
        category_path=("nobody-knows-this",),
        priority=Priority.NORMAL,
        channel=Channel.API,
        requester_id=demo_id("user:alice"),
        organization_id=demo_id("organization:Acme Manufacturing"),
        registered_at=datetime.now(UTC),
    )
    await publish(desk.settings, Envelope.wrap(registered, producer="e2e"))
    registered_queue = consumer_queue(namespace, "notify", IncidentRegistered)

    async def registration_handled() -> bool:
        metrics = await _metrics(desk, "notify")
        return (
            _sample(metrics, "desk_messages_consumed_total", queue=registered_queue, outcome="ok")
            >= 1
        )

    await wait_until(registration_handled, timeout=20, interval=0.2)
    # An operator's override of the English assignment subject that does not parse:
    # every delivery of anna's assignment fails.
    broken = templates / "en.incident_assigned.subject.txt"
    broken.write_text("{{ number")
    assigned = Envelope.wrap(
        IncidentAssigned(
            incident_id=incident_id, agent_id=anna, reason="e2e", assigned_at=datetime.now(UTC)
        ),
        producer="e2e",
    )
    await publish(desk.settings, assigned)

    async def dead_lettered() -> dict[str, Any] | None:
        body = await _get(desk, "/api/v1/ops/dead-letters", admin, queue=dead)
        return body if body["total"] == 1 else None

    listing = await wait_until(dead_lettered, timeout=40, interval=0.3)
    [letter] = listing["items"]
    assert letter["key"] == str(assigned.message_id)
    assert letter["original_queue"] == queue
    assert letter["routing_key"] == "incident.assigned"
    assert letter["reason"] == "delivery_limit"
    assert letter["incident_id"] == str(incident_id)
    assert letter["error_source"] == "consumer"
    assert "TemplateSyntaxError" in letter["error"]
    assert letter["attempts"] == 6
    assert letter["payload"]["payload"]["agent_id"] == str(anna)
    # The whole view lists it too, and listing twice loses nothing.
    everything = await _get(desk, "/api/v1/ops/dead-letters", admin)
    # (Other consumers of the assignment, e.g. intake, did not know the incident.)
    mine = [d for d in everything["items"] if d["dead_letter_queue"] == dead]
    assert [d["key"] for d in mine] == [letter["key"]]
    queues = await _get(desk, "/api/v1/ops/queues", admin)
    by_name = {q["name"]: q for q in queues["items"]}
    assert by_name[dead]["messages_ready"] == 1
    assert queues["dead_letters"] >= 1

    # The cause is fixed: the override goes.
    broken.unlink()
    async with desk.client() as http:
        missing = await http.post(
            "/api/v1/ops/dead-letters/replay",
            headers=admin,
            json={"queue": dead, "message_id": str(uuid4())},
        )
        assert missing.status_code == 404
        replayed = await http.post(
            "/api/v1/ops/dead-letters/replay",
            headers=admin,
            json={"queue": dead, "message_id": letter["key"]},
        )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["affected"] == 1

    # Consumed: anna is told the incident is hers, which only the replayed message says.
    def told_anna() -> list[Any]:
        return [m for m in mailbox.to("anna@example.com") if "INC-990001" in str(m["Subject"])]

    await wait_until(told_anna, timeout=20, interval=0.2)
    assert len(told_anna()) == 1
    assert (await _get(desk, "/api/v1/ops/dead-letters", admin, queue=dead))["total"] == 0

    actions = await _get(desk, "/api/v1/ops/actions", admin)
    latest = actions["items"][0]
    assert latest["action"] == "replay"
    assert latest["actor_username"] == "admin"
    assert latest["queue"] == dead
    assert latest["message_key"] == letter["key"]
    assert latest["affected"] == 1
    assert latest["outcome"] == "ok"


async def test_discarding_a_whole_queue_is_recorded(desk: RunningDesk) -> None:
    admin = await _admin(desk)
    queue = consumer_queue(desk.settings.namespace, "notify", IncidentAssigned)
    dead = dead_letter_queue(queue)
    from desk_runtime.testing import publish_raw

    for index in range(2):
        await publish_raw(
            desk.settings,
            "incident.assigned",
            b'{"not": "an envelope"}',
            message_id=f"junk-{index}",
        )

    async def parked() -> list[dict[str, Any]] | None:
        body = await _get(desk, "/api/v1/ops/dead-letters", admin, queue=dead)
        junk = [d for d in body["items"] if d["key"].startswith("junk-")]
        return junk if len(junk) == 2 else None

    for item in await wait_until(parked, timeout=20, interval=0.2):
        assert item["reason"] == "rejected"
        assert item["error_source"] == "validation"
        assert "payload" in item["error"]
    async with desk.client() as http:
        response = await http.post(
            "/api/v1/ops/dead-letters/discard", headers=admin, json={"queue": dead}
        )
    assert response.status_code == 200
    discarded = response.json()
    assert {"junk-0", "junk-1"} <= set(discarded["message_ids"])
    assert (await _get(desk, "/api/v1/ops/dead-letters", admin, queue=dead))["total"] == 0
    latest = (await _get(desk, "/api/v1/ops/actions", admin))["items"][0]
    assert (latest["action"], latest["message_key"]) == ("discard", None)
    assert latest["affected"] == discarded["affected"] == len(discarded["message_ids"])


async def _create_incident(desk: RunningDesk) -> dict[str, str]:
    token = await desk.token("alice")
    auth = {"authorization": f"Bearer {token}"}

    async def create() -> dict[str, str] | None:
        async with desk.client() as http:
            response = await http.post(
                "/api/v1/incidents",
                headers=auth,
                json={
                    "title": "Metrics flow",
                    "description": "counted",
                    "category_id": str(demo_id("category:fault/software")),
                    "priority": "low",
                },
            )
        if response.status_code == 422 and "category_id" in response.text:
            return None
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return body

    created: dict[str, str] = await wait_until(create, timeout=20, interval=0.2)
    return created


async def _created_assignee(desk: RunningDesk, created: dict[str, str]) -> str | None:
    token = await desk.token("anna")
    async with desk.client() as http:
        response = await http.get(
            f"/api/v1/incidents/{created['id']}", headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    assignee: str | None = response.json()["assignee_id"]
    return assignee


async def test_metrics_after_a_small_flow(desk: RunningDesk) -> None:
    created = await _create_incident(desk)
    namespace = desk.settings.namespace
    sla_queue = consumer_queue(namespace, "sla", IncidentRegistered)

    async def flowed() -> bool:
        sla = await _metrics(desk, "sla")
        return _sample(sla, "desk_messages_consumed_total", queue=sla_queue, outcome="ok") >= 1

    await wait_until(flowed, timeout=20, interval=0.2)
    intake = await _metrics(desk, "intake")
    assert _sample(intake, "desk_messages_published_total", routing_key="incident.registered") >= 1
    assert (
        _sample(intake, "desk_queries_answered_total", query="intake.create_incident", outcome="ok")
        >= 1
    )
    assert "desk_outbox_backlog_messages" in intake
    assert "desk_outbox_oldest_age_seconds" in intake
    assert _sample(intake, "desk_ready") == 1
    sla = await _metrics(desk, "sla")
    assert f'desk_message_handling_seconds_count{{queue="{sla_queue}"}}' in sla
    gateway = await _metrics(desk, "portal-gateway")
    assert (
        _sample(
            gateway,
            "desk_http_requests_total",
            method="POST",
            route="/api/v1/incidents",
            status="201",
        )
        >= 1
    )
    assert (
        _sample(
            gateway,
            "desk_http_request_duration_seconds_count",
            method="POST",
            route="/api/v1/incidents",
        )
        >= 1
    )
    # The domain gauges and counters are fed by the flow itself: the incident was
    # assigned automatically, its SLA timers are armed, its agent carries load, and
    # notify sent mail about it.
    assigned = await wait_until(lambda: _created_assignee(desk, created), timeout=20)

    async def domain_metrics_fed() -> bool:
        routing = await _metrics(desk, "routing")
        sla = await _metrics(desk, "sla")
        notify = await _metrics(desk, "notify")
        return (
            _sample(routing, "desk_routing_assignments_total", reason="auto") >= 1
            and _sample(routing, "desk_routing_agent_load", agent_id=assigned) >= 1
            and _sample(routing, "desk_routing_agent_capacity", agent_id=assigned) >= 1
            and _sample(sla, "desk_sla_timers_armed") >= 1
            and _sample(notify, "desk_notify_deliveries_total", channel="email", outcome="sent")
            >= 1
        )

    await wait_until(domain_metrics_fed, timeout=30, interval=0.5)
    # The metric objects every service shares are registered everywhere, ready to be fed;
    # a service's own ones are registered by that service.
    assert "# TYPE desk_inbox_duplicates_total" in gateway
    for service, name in (
        ("sla", "desk_sla_timer_lateness_seconds"),
        ("sla", "desk_sla_timers_armed"),
        ("routing", "desk_routing_backlog_incidents"),
        ("notify", "desk_notify_deliveries_total"),
    ):
        assert f"# TYPE {name}" in await _metrics(desk, service)


async def test_the_ops_page_and_the_command_line(desk: RunningDesk) -> None:
    admin = await _admin(desk)

    async def page_all_ready() -> httpx.Response | None:
        async with desk.client() as http:
            response = await http.get("/ops", headers=admin)
        assert response.status_code == 200
        return response if "all ready" in response.text else None

    page = await wait_until(page_all_ready, timeout=30, interval=0.5)
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert "notify.incident.assigned" in page.text
    assert 'data-testid="nav-ops"' in page.text  # in the navigation, styled like the rest
    async with desk.client() as http:
        # A browser without a session is sent to the login page, not given raw JSON.
        anonymous = await http.get("/ops")
        assert anonymous.status_code in (302, 303), anonymous.text
        assert anonymous.headers["location"].startswith("/login")
        russian = await http.get("/ops", headers={**admin, "cookie": "desk_lang=ru"})
    assert "Эксплуатация" in russian.text
    assert "всё готово" in russian.text or "НЕ ГОТОВО" in russian.text

    token = admin["authorization"].removeprefix("Bearer ")

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "desk_runtime.ops_cli",
                "--url",
                desk.base_url,
                # A token may begin with "-": in its own argument it would read as an option.
                f"--token={token}",
                *args,
            ],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=60,
        )

    health = await asyncio.to_thread(cli, "health")
    assert health.returncode == 0, health.stderr
    assert "all services ready" in health.stdout
    queues = await asyncio.to_thread(cli, "--json", "queues")
    assert queues.returncode == 0, queues.stderr
    assert json.loads(queues.stdout)["source"] == "declare"
    dead = await asyncio.to_thread(cli, "dead-letters", "list")
    assert dead.returncode == 0
    assert "dead letter" in dead.stdout
    reconciled = await asyncio.to_thread(cli, "reconcile")
    assert reconciled.returncode == 0, reconciled.stderr
    assert "checked against intake" in reconciled.stdout
    assert "agent load(s) corrected" in reconciled.stdout
    denied = await asyncio.to_thread(
        lambda: subprocess.run(
            [
                sys.executable,
                "-m",
                "desk_runtime.ops_cli",
                "--url",
                desk.base_url,
                "--token",
                "wrong",
                "queues",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    )
    assert denied.returncode == 2
    assert "401" in denied.stderr

    # One incident followed across services in the desk's combined log.
    incident_id = (await _create_incident(desk))["id"]

    async def logged_by_several() -> subprocess.CompletedProcess[str] | None:
        found = await asyncio.to_thread(cli, "--json", "logs", incident_id, str(desk.log_path))
        services = {json.loads(line)["service"] for line in found.stdout.splitlines()}
        return found if len(services) >= 3 else None

    found = await wait_until(logged_by_several, timeout=20, interval=0.5)
    assert all(
        json.loads(line).get("incident_id") == incident_id or json.loads(line).get("correlation_id")
        for line in found.stdout.splitlines()
    )
