"""Events that reach notify before the facts they build on (the incident's registration,
a recipient's contact point) against the real broker, database and SMTP server: they
wait, parked, and every mail they cause is still sent, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio
from desk_contracts import Message
from desk_contracts.enums import Channel, EntryKind, Locale, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    DeadlinesSet,
    EntryAdded,
    IncidentAssigned,
    IncidentRegistered,
    IncidentStatusChanged,
)
from desk_contracts.topology import consumer_queue
from desk_runtime.errors import NotYet
from desk_runtime.metrics import INBOX_DUPLICATES
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox, publish, started, wait_until
from notify.store import overtaken

from .conftest import World, person, seed_world

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def notify(desk_settings: DeskSettings, smtp: tuple[int, Mailbox]) -> AsyncIterator[Service]:
    from notify.app import build

    service = build(desk_settings.replaced(**{"smtp_port": smtp[0]}))
    async with started(service):
        yield service


@pytest_asyncio.fixture
async def world(desk_settings: DeskSettings, notify: Service) -> World:
    return await seed_world(desk_settings, notify)


def registration(world: World, requester_id: Any = None) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=uuid4(),
        number=f"INC-{uuid4().int % 10**6:06d}",
        title="Invoices fail to print",
        category_id=uuid4(),
        category_path=world.category_path,
        priority=Priority.HIGH,
        channel=Channel.PORTAL,
        requester_id=requester_id or world.requester.user_id,
        organization_id=world.organization_id,
        registered_at=datetime.now(UTC),
    )


async def parked(notify: Service, awaits: str, count: int = 1) -> bool:
    found = await notify.pool.fetchval(
        "SELECT count(*) FROM parked_messages WHERE awaits = $1", awaits
    )
    return bool(found == count)


async def kinds_sent(notify: Service, incident: IncidentRegistered) -> list[str] | None:
    """The kinds of the incident's deliveries once every one is sent."""
    rows = await notify.pool.fetch(
        "SELECT event_kind, status FROM deliveries WHERE incident_id = $1", incident.incident_id
    )
    if not rows or any(row["status"] != "sent" for row in rows):
        return None
    return sorted(row["event_kind"] for row in rows)


async def test_a_wait_on_the_client_that_overtakes_the_registration_is_told_once(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    """The race seen under load: the status change is handled before the registration.
    It waits for it and is then told, once, even when delivered again."""
    _, mailbox = smtp
    incident = registration(world)
    waiting = await world.send(
        IncidentStatusChanged(
            incident_id=incident.incident_id,
            number=incident.number,
            previous=Status.IN_PROGRESS,
            status=Status.WAITING_ON_CLIENT,
            changed_at=datetime.now(UTC) + timedelta(seconds=1),
            actor_id=world.agent.user_id,
            assignee_id=world.agent.user_id,
            requester_id=world.requester.user_id,
            category_path=incident.category_path,
            priority=incident.priority,
        )
    )
    await wait_until(lambda: parked(notify, f"incident:{incident.incident_id}"))

    await world.send(incident)
    kinds = await wait_until(lambda: kinds_sent(notify, incident))
    assert kinds == ["incident_registered", "waiting_on_client"]
    queue = consumer_queue(world.settings.namespace, "notify", IncidentStatusChanged)
    duplicates = INBOX_DUPLICATES.labels(queue)._value.get()
    await publish(world.settings, waiting)  # the same event once more
    await wait_until(lambda: INBOX_DUPLICATES.labels(queue)._value.get() > duplicates)
    subjects = [str(m["Subject"]) for m in mailbox.to("rita@example.com")]
    assert len(subjects) == 2
    assert sum("Требуется ваш ответ" in s for s in subjects) == 1
    assert (
        await notify.pool.fetchval(
            "SELECT status FROM incidents WHERE incident_id = $1", incident.incident_id
        )
        == "waiting_on_client"
    )
    assert not await notify.pool.fetchval("SELECT count(*) FROM parked_messages")
    assert not await notify.pool.fetchval("SELECT count(*) FROM message_failures")


async def test_due_times_an_assignment_and_a_reply_ahead_of_the_registration_all_apply(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    incident = registration(world)
    due = datetime.now(UTC) + timedelta(hours=2)
    early: list[Message] = [
        DeadlinesSet(
            incident_id=incident.incident_id,
            contract_id=uuid4(),
            contract_name="Standard",
            contract_version=1,
            response_due=due,
            resolution_due=due + timedelta(hours=22),
            computed_at=datetime.now(UTC),
        ),
        IncidentAssigned(
            incident_id=incident.incident_id,
            agent_id=world.agent.user_id,
            reason="least loaded",
            assigned_at=datetime.now(UTC),
        ),
        EntryAdded(
            incident_id=incident.incident_id,
            number=incident.number,
            entry_id=uuid4(),
            kind=EntryKind.COMMENT,
            visibility=Visibility.PUBLIC,
            author_id=world.agent.user_id,
            author_role=Role.AGENT,
            text="Please restart the print spooler.",
            created_at=datetime.now(UTC),
            requester_id=world.requester.user_id,
            organization_id=world.organization_id,
            assignee_id=world.agent.user_id,
        ),
    ]
    for message in early:
        await world.send(message)
    await wait_until(lambda: parked(notify, f"incident:{incident.incident_id}", len(early)))

    await world.send(incident)
    kinds = await wait_until(lambda: kinds_sent(notify, incident))
    assert kinds == ["incident_assigned", "incident_registered", "public_reply"]
    row = await notify.pool.fetchrow(
        "SELECT assignee_id, status, response_due FROM incidents WHERE incident_id = $1",
        incident.incident_id,
    )
    assert (row["assignee_id"], row["status"], row["response_due"]) == (
        world.agent.user_id,
        "assigned",
        due,
    )
    reply = next(m for m in mailbox.to("rita@example.com") if "Новый ответ" in str(m["Subject"]))
    body: Any = reply.get_body(("plain",))
    assert "Anna" in body.get_content()
    assert "Please restart the print spooler." in body.get_content()
    assert len(mailbox.to("anna@example.com")) == 1
    assert not await notify.pool.fetchval("SELECT count(*) FROM parked_messages")


async def test_a_mail_to_someone_whose_contact_point_has_not_arrived_waits_for_it(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    newcomer = person("Nina", Role.CLIENT, Locale.EN, world.organization_id)
    incident = registration(world, newcomer.user_id)
    await world.send(incident)
    await wait_until(lambda: parked(notify, f"contact:{newcomer.user_id}"))
    assert not mailbox.to("nina@example.com")

    await world.send(newcomer)
    assert await wait_until(lambda: kinds_sent(notify, incident)) == ["incident_registered"]
    assert len(mailbox.to("nina@example.com")) == 1
    assert incident.number in str(mailbox.to("nina@example.com")[0]["Subject"])


async def test_a_change_counts_as_overtaken_only_when_a_later_one_was_applied(
    notify: Service, world: World
) -> None:
    """What the handler sees when the registration commits between its conditional
    update (no row yet) and its second look (a row, nothing applied to it): not a later
    change but a missing one, so it waits and is applied, never dropped."""
    incident = registration(world)
    await world.send(incident)
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT 1 FROM incidents WHERE incident_id = $1", incident.incident_id
        )
    )
    now = datetime.now(UTC)
    for column in ("status_changed_at", "deadlines_computed_at"):
        async with notify.transaction() as uow:
            with pytest.raises(NotYet) as waiting:
                await overtaken(uow.conn, incident.incident_id, column, now)
        assert waiting.value.fact == f"incident:{incident.incident_id}"
        await notify.pool.execute(
            f"UPDATE incidents SET {column} = $2 WHERE incident_id = $1",
            incident.incident_id,
            now + timedelta(seconds=1),
        )
        async with notify.transaction() as uow:
            await overtaken(uow.conn, incident.incident_id, column, now)  # moot: no wait
    async with notify.transaction() as uow:
        with pytest.raises(NotYet):
            await overtaken(uow.conn, uuid4(), "status_changed_at", now)
