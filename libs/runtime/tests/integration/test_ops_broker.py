"""Operations against the real broker and database: a poison message ends in the dead
letters with its reason and the consumer's error, survives being read, and is consumed
once replayed after its cause is fixed; readiness follows the consuming connection and
the watchdog brings lost consumers back."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.enums import Channel, Locale, Priority, Role, Scope
from desk_contracts.messages import IncidentAssigned, IncidentRegistered, UserUpserted
from desk_contracts.topology import DELIVERY_LIMIT, consumer_queue, dead_letter_queue
from desk_runtime.deadletters import (
    DeadLetterNotFound,
    discard_dead_letters,
    queue_states,
    read_dead_letters,
    replay_dead_letters,
)
from desk_runtime.health import readiness
from desk_runtime.metrics import CONSUMER_REATTACHMENTS
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import Mailbox, publish, publish_raw, queue_depth, started, wait_until

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def notify(
    desk_settings: DeskSettings, smtp: tuple[int, Mailbox], tmp_path: Path
) -> AsyncIterator[Service]:
    from notify.app import build

    service = build(desk_settings.replaced(**{"smtp_port": smtp[0], "template_dir": tmp_path}))
    async with started(service):
        yield service


def _user(role: Role, organization: UUID | None = None) -> UserUpserted:
    return UserUpserted(
        user_id=uuid4(),
        username=f"{role.value}-{uuid4().hex[:6]}",
        display_name=f"Test {role.value}",
        email=f"{uuid4().hex[:8]}@example.com",
        locale=Locale.EN,
        role=role,
        organization_id=organization,
        scope=Scope.OWN if role is Role.CLIENT else None,
    )


async def _dead_letters(settings: DeskSettings, queue: str, count: int) -> None:
    async def parked() -> bool:
        ready, _ = await queue_depth(settings, queue)
        return ready == count

    await wait_until(parked, timeout=30, interval=0.2)


async def test_a_poison_message_is_dead_lettered_explained_and_replayed_once_fixed(
    notify: Service, desk_settings: DeskSettings, tmp_path: Path
) -> None:
    namespace = desk_settings.namespace
    queue = consumer_queue(namespace, "notify", IncidentAssigned)
    dead = dead_letter_queue(queue)
    organization = uuid4()
    requester, agent = _user(Role.CLIENT, organization), _user(Role.AGENT)
    for user in (requester, agent):
        await publish(desk_settings, Envelope.wrap(user, producer="test"))
    registered = IncidentRegistered(
        incident_id=uuid4(),
        number="INC-000777",
        title="Printer on fire",
        category_id=uuid4(),
        category_path=("fault",),
        priority=Priority.HIGH,
        channel=Channel.API,
        requester_id=requester.user_id,
        organization_id=organization,
        registered_at=datetime.now(UTC),
    )
    await publish(desk_settings, Envelope.wrap(registered, producer="test"))
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT 1 FROM incidents WHERE incident_id = $1", registered.incident_id
        )
    )
    # An operator's template override that does not parse: every delivery fails.
    broken = tmp_path / "en.incident_assigned.subject.txt"
    broken.write_text("{{ number")
    assigned = Envelope.wrap(
        IncidentAssigned(
            incident_id=registered.incident_id,
            agent_id=agent.user_id,
            reason="test",
            assigned_at=datetime.now(UTC),
        ),
        producer="test",
    )
    await publish(desk_settings, assigned)
    await _dead_letters(desk_settings, dead, 1)

    letters, total = await read_dead_letters(notify.connection, dead)
    assert total == 1
    [letter] = letters
    assert letter.key == str(assigned.message_id)
    assert letter.original_queue == queue
    assert letter.routing_key == IncidentAssigned.ROUTING_KEY
    assert letter.reason == "delivery_limit"
    assert letter.message_type == "incident.assigned"
    assert letter.incident_id == str(assigned.payload.incident_id)
    assert letter.validation_error is None
    assert letter.payload["payload"]["agent_id"] == str(agent.user_id)
    # The consumer recorded why, once per delivery.
    failure = await notify.pool.fetchrow(
        "SELECT attempts, last_error FROM message_failures WHERE consumer = $1 AND message_id = $2",
        queue,
        assigned.message_id,
    )
    assert failure is not None
    # The first delivery and DELIVERY_LIMIT redeliveries.
    assert failure["attempts"] == DELIVERY_LIMIT + 1
    assert "TemplateSyntaxError" in failure["last_error"]
    # Reading does not consume.
    again, total = await read_dead_letters(notify.connection, dead)
    assert total == 1
    assert again[0].key == letter.key
    with pytest.raises(DeadLetterNotFound):
        await replay_dead_letters(notify.connection, dead, str(uuid4()))

    # The cause is fixed: the override goes; the replay is then consumed.
    broken.unlink()
    replayed = await replay_dead_letters(notify.connection, dead, letter.key)
    assert [r.key for r in replayed] == [letter.key]
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT assignee_id = $2 FROM incidents WHERE incident_id = $1",
            registered.incident_id,
            agent.user_id,
        )
    )
    assert await notify.pool.fetchval(
        "SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2", queue, assigned.message_id
    )
    assert (await queue_depth(desk_settings, dead))[0] == 0


async def test_reading_keeps_every_dead_letter_in_order_and_discard_removes_one(
    notify: Service, desk_settings: DeskSettings
) -> None:
    queue = consumer_queue(desk_settings.namespace, "notify", UserUpserted)
    dead = dead_letter_queue(queue)
    bodies = [f'{{"payload": "nonsense {i}"}}'.encode() for i in range(4)]
    for index, body in enumerate(bodies):
        await publish_raw(desk_settings, UserUpserted.ROUTING_KEY, body, message_id=f"bad-{index}")
    await _dead_letters(desk_settings, dead, 4)

    first, _ = await read_dead_letters(notify.connection, dead)
    assert [d.key for d in first] == ["bad-0", "bad-1", "bad-2", "bad-3"]
    for letter in first:
        assert letter.reason == "rejected"
        assert letter.validation_error is not None
        assert "payload" in letter.validation_error
    for _ in range(3):
        again, total = await read_dead_letters(notify.connection, dead)
        assert total == 4
        assert [d.key for d in again] == ["bad-0", "bad-1", "bad-2", "bad-3"]

    # Two operators at once on the same queue are serialised by the caller; reading
    # while another reads is still lossless.
    readings = await asyncio.gather(*(read_dead_letters(notify.connection, dead) for _ in range(3)))
    assert sum(len(found) for found, _ in readings) >= 4
    await wait_until(lambda: _depth_is(desk_settings, dead, 4))

    discarded = await discard_dead_letters(notify.connection, dead, "bad-2")
    assert [d.key for d in discarded] == ["bad-2"]
    remaining, total = await read_dead_letters(notify.connection, dead)
    assert total == 3
    assert sorted(d.key for d in remaining) == ["bad-0", "bad-1", "bad-3"]
    assert len(await discard_dead_letters(notify.connection, dead)) == 3
    assert (await queue_depth(desk_settings, dead))[0] == 0


async def _depth_is(settings: DeskSettings, queue: str, count: int) -> bool:
    ready, _ = await queue_depth(settings, queue)
    return ready == count


async def test_queue_states_report_depths_consumers_and_dead_letters(
    notify: Service, desk_settings: DeskSettings
) -> None:
    await publish_raw(desk_settings, UserUpserted.ROUTING_KEY, b"{}", message_id="broken")
    dead = dead_letter_queue(consumer_queue(desk_settings.namespace, "notify", UserUpserted))
    await _dead_letters(desk_settings, dead, 1)
    source, states = await queue_states(notify.connection, desk_settings.namespace)
    assert source == "declare"
    by_name = {s.name: s for s in states}
    for queue in (
        consumer_queue(desk_settings.namespace, "notify", m)
        for m in (UserUpserted, IncidentRegistered, IncidentAssigned)
    ):
        assert by_name[queue].consumers == 1
        assert by_name[queue].kind == "events"
        assert by_name[queue].dead_letter_queue == dead_letter_queue(queue)
    assert by_name[dead].kind == "dead-letters"
    assert by_name[dead].messages_ready == 1
    # Another service of this namespace is not running: its queues have no consumer.
    intake_queues = [s for s in states if s.service == "intake" and s.kind == "events"]
    assert intake_queues
    assert all(s.consumers == 0 for s in intake_queues)


def _close_connections(prefix: str) -> int:
    """Close this service's broker connections only (as a broker restart would, from
    the service's point of view), leaving everyone else's alone."""
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    closed = 0
    for line in listing.splitlines():
        if f'{{"connection_name","{prefix}' not in line:
            continue
        pid = line.split("\t", 1)[0]
        subprocess.run(
            ["rabbitmqctl", "-q", "close_connection", pid, "operations test"],
            capture_output=True,
            check=True,
        )
        closed += 1
    return closed


async def test_readiness_falls_when_the_broker_connection_is_lost_and_returns_with_consumers(
    notify: Service, desk_settings: DeskSettings
) -> None:
    assert (await readiness(notify))["ready"]
    prefix = f"{desk_settings.namespace}.notify"
    assert _close_connections(prefix) == 2  # the consuming and the publishing connection

    async def not_ready() -> dict[str, object] | None:
        report = await readiness(notify)
        return None if report["ready"] else report

    report = await wait_until(not_ready, timeout=10, interval=0.05)
    assert report["checks"]["broker"] != "ok" or report["checks"]["consumers"] != "ok"  # type: ignore[index]

    async def ready_again() -> bool:
        return bool((await readiness(notify))["ready"])

    await wait_until(ready_again, timeout=40, interval=0.2)
    report = await readiness(notify)
    assert all(count == 1 for count in report["consumers"].values())  # type: ignore[union-attr]
    # And they really consume.
    user = _user(Role.AGENT)
    await publish(desk_settings, Envelope.wrap(user, producer="test"))
    await wait_until(
        lambda: notify.pool.fetchval("SELECT 1 FROM contacts WHERE user_id = $1", user.user_id)
    )


async def test_readiness_falls_while_the_broker_is_gone_and_returns_with_consumers(
    desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    """The broker stops answering (every connection reset, new ones refused) for a few
    seconds, then comes back on the same address: notify reports not ready meanwhile and
    ready again only with its consumers attached, and then it consumes."""
    from notify.app import build

    url = urlsplit(desk_settings.amqp_url)
    relay = TcpProxy(url.hostname or "127.0.0.1", url.port or 5672)
    port = await relay.start()
    behind_relay = desk_settings.replaced(
        **{
            "smtp_port": smtp[0],
            "amqp_url": urlunsplit(url._replace(netloc=f"{url.netloc.rsplit(':', 1)[0]}:{port}")),
        }
    )
    notify = build(behind_relay)
    await notify.start()
    try:
        assert (await readiness(notify))["ready"]
        await relay.cut()

        async def broker_down() -> dict[str, Any] | None:
            report = await readiness(notify)
            return None if report["checks"]["broker"] == "ok" else report

        report = await wait_until(broker_down, timeout=15, interval=0.05)
        assert not report["ready"]
        await asyncio.sleep(2)  # an outage, not a blip
        assert not (await readiness(notify))["ready"]
        await relay.restore()

        async def ready_again() -> bool:
            return bool((await readiness(notify))["ready"])

        await wait_until(ready_again, timeout=60, interval=0.2)
        report = await readiness(notify)
        assert all(count == 1 for count in report["consumers"].values())
        user = _user(Role.AGENT)
        await publish(desk_settings, Envelope.wrap(user, producer="test"))
        await wait_until(
            lambda: notify.pool.fetchval("SELECT 1 FROM contacts WHERE user_id = $1", user.user_id)
        )
    finally:
        await notify.stop()
        await relay.close()


async def test_the_watchdog_reattaches_consumers_that_did_not_come_back(
    notify: Service, desk_settings: DeskSettings
) -> None:
    reattached = CONSUMER_REATTACHMENTS._value.get()
    # The connection stays up but the consumers are gone: the failure FastStream #2758
    # describes after a broker restart.
    for subscriber in list(notify.broker.subscribers):
        await subscriber.stop()

    async def missing() -> bool:
        return (await readiness(notify))["checks"]["consumers"] != "ok"  # type: ignore[index]

    await wait_until(missing, timeout=10)
    assert not (await readiness(notify))["ready"]

    async def ready_again() -> bool:
        return bool((await readiness(notify))["ready"])

    await wait_until(ready_again, timeout=40, interval=0.2)
    assert CONSUMER_REATTACHMENTS._value.get() == reattached + 1
    user = _user(Role.AGENT)
    await publish(desk_settings, Envelope.wrap(user, producer="test"))
    await wait_until(
        lambda: notify.pool.fetchval("SELECT 1 FROM contacts WHERE user_id = $1", user.user_id)
    )
