"""Notify against the real broker, database, SMTP server (aiosmtpd) and a local HTTP SMS
provider: the right people get the right messages in their language, once, through
refusals, permanent failures and a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.enums import EntryKind, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    EntryAdded,
    GetNotification,
    IncidentRegistered,
    IncidentStatusChanged,
    ListNotifications,
    NotificationPage,
    NotificationPreference,
    NotificationView,
    Principal,
    RetryNotification,
    SetNotificationPreferences,
    SlaBreached,
    SlaEscalated,
    SlaReminderDue,
)
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox, publish, rpc_client, wait_until
from notify.email import DeliveryFailed
from notify.sender import Sender

from .conftest import SmsEndpoint, Starter, World, seed_world

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def notify(start_notify: Starter) -> Service:
    service: Service = await start_notify()
    return service


@pytest_asyncio.fixture
async def world(desk_settings: DeskSettings, notify: Service) -> World:
    return await seed_world(desk_settings, notify)


@pytest_asyncio.fixture
async def rpc(notify: Service, desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    async with rpc_client(desk_settings, notify.connection, timeout=5) as client:
        yield client


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()  # type: ignore[attr-defined]
    return content


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    content: str = body.get_content()  # type: ignore[attr-defined]
    return content


async def all_settled(notify: Service) -> bool:
    return bool(
        await notify.pool.fetchval(
            "SELECT count(*) > 0 AND bool_and(status IN ('sent', 'failed')) FROM deliveries"
        )
    )


def entry(world: World, incident: IncidentRegistered, **fields: Any) -> EntryAdded:
    defaults: dict[str, Any] = {
        "incident_id": incident.incident_id,
        "number": incident.number,
        "entry_id": uuid4(),
        "kind": EntryKind.COMMENT,
        "visibility": Visibility.PUBLIC,
        "created_at": datetime.now(UTC),
        "requester_id": world.requester.user_id,
        "organization_id": world.organization_id,
        "assignee_id": world.agent.user_id,
    }
    return EntryAdded(**{**defaults, **fields})


def status_changed(world: World, incident: IncidentRegistered, status: Status) -> Any:
    return IncidentStatusChanged(
        incident_id=incident.incident_id,
        number=incident.number,
        previous=Status.IN_PROGRESS,
        status=status,
        changed_at=datetime.now(UTC),
        actor_id=world.agent.user_id,
        assignee_id=world.agent.user_id,
        requester_id=world.requester.user_id,
        category_path=incident.category_path,
        priority=Priority.HIGH,
    )


async def test_the_right_people_hear_of_the_life_cycle_in_their_language(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    rita, anna = "rita@example.com", "anna@example.com"
    incident = await world.incident(notify)

    # Registration: the requester, in Russian, with the number; assignment: the agent.
    confirmation = (await wait_until(lambda: mailbox.to(rita)))[0]
    assert incident.number in str(confirmation["Subject"])
    assert "зарегистрировано" in str(confirmation["Subject"])
    assignment = (await wait_until(lambda: mailbox.to(anna)))[0]
    assert str(assignment["Subject"]).startswith(f"[{incident.number}] Assigned to you")
    assert "priority high" in text_of(assignment)

    # An internal note first, then a public reply: the client gets the reply only.
    await world.send(
        entry(
            world,
            incident,
            author_id=world.agent.user_id,
            author_role=Role.AGENT,
            visibility=Visibility.INTERNAL,
            text="INTERNAL: the customer's licence expired, do not tell them yet",
        )
    )
    await world.send(
        entry(
            world,
            incident,
            author_id=world.agent.user_id,
            author_role=Role.AGENT,
            text="Please restart the print spooler.",
        )
    )
    reply = (await wait_until(lambda: len(mailbox.to(rita)) >= 2 and mailbox.to(rita)))[1]
    assert "Новый ответ" in str(reply["Subject"])
    assert "Please restart the print spooler." in text_of(reply)

    # The client answers: the assignee hears of it, in English.
    await world.send(
        entry(
            world,
            incident,
            author_id=world.requester.user_id,
            author_role=Role.CLIENT,
            text="Done, still failing.",
        )
    )
    answer = (await wait_until(lambda: len(mailbox.to(anna)) >= 2 and mailbox.to(anna)))[1]
    assert "New reply" in str(answer["Subject"])
    assert "Rita replied" in text_of(answer)

    # Waiting on the client, then resolved with a rating link.
    await world.send(status_changed(world, incident, Status.WAITING_ON_CLIENT))
    await world.send(status_changed(world, incident, Status.IN_PROGRESS))
    await world.send(status_changed(world, incident, Status.RESOLVED))
    await wait_until(lambda: len(mailbox.to(rita)) >= 4)
    subjects = [str(m["Subject"]) for m in mailbox.to(rita)]
    assert any("Требуется ваш ответ" in s for s in subjects)
    resolved = next(m for m in mailbox.to(rita) if "Решено" in str(m["Subject"]))
    rating = f"{world.settings.portal_url}/incidents/{incident.incident_id}#rating"
    assert rating in text_of(resolved)
    assert rating in html_of(resolved)

    await wait_until(lambda: all_settled(notify))
    # Nothing internal ever reached the client, by any message; nothing went twice.
    assert all("INTERNAL" not in text_of(m) for m in mailbox.to(rita))
    assert len(mailbox.to(rita)) == 4
    assert len(mailbox.to(anna)) == 2
    assert not mailbox.to("mike@example.com")
    internal_deliveries = await notify.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE body_text LIKE '%INTERNAL%'"
    )
    assert internal_deliveries == 0


async def test_files_posted_without_words_reach_the_other_side_too(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    rita = "rita@example.com"
    incident = await world.incident(notify)
    await wait_until(lambda: mailbox.to(rita))  # the confirmation of the registration
    await world.send(
        entry(
            world,
            incident,
            kind=EntryKind.ATTACHMENT,
            author_id=world.agent.user_id,
            author_role=Role.AGENT,
            text="Attached: spooler-settings.png",
        )
    )
    files = (await wait_until(lambda: len(mailbox.to(rita)) >= 2 and mailbox.to(rita)))[1]
    assert "Новый ответ" in str(files["Subject"])
    assert "spooler-settings.png" in text_of(files)


async def test_no_one_is_chased_about_an_incident_already_resolved(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    """A reminder and an escalation that fired a moment before the resolution reached
    sla arrive after it: they are moot and nobody is told."""
    _, mailbox = smtp
    incident = await world.incident(notify)
    await world.send(status_changed(world, incident, Status.RESOLVED))
    await wait_until(
        lambda: any("Решено" in str(m["Subject"]) for m in mailbox.to("rita@example.com"))
    )
    now = datetime.now(UTC)
    await world.send(
        SlaReminderDue(
            incident_id=incident.incident_id, clock="resolution", due_at=now, fired_at=now
        )
    )
    await world.send(
        SlaEscalated(incident_id=incident.incident_id, level=1, notify="group_head", fired_at=now)
    )

    async def both_handled() -> bool:
        handled = await notify.pool.fetchval(
            "SELECT count(*) FROM inbox "
            "WHERE consumer LIKE '%reminder_due' OR consumer LIKE '%escalated'"
        )
        return bool(handled == 2)

    await wait_until(both_handled)
    chased = await notify.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE incident_id = $1 "
        "AND event_kind IN ('reminder', 'escalation')",
        incident.incident_id,
    )
    assert chased == 0


async def test_a_resolution_overtaken_by_its_reopen_neither_tells_nor_silences(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    incident = await world.incident(notify)
    await wait_until(lambda: mailbox.to("anna@example.com"))  # the assignment
    now = datetime.now(UTC)
    resolved = status_changed(world, incident, Status.RESOLVED)
    reopened = resolved.model_copy(
        update={"previous": Status.RESOLVED, "status": Status.REOPENED, "changed_at": now}
    )
    await world.send(reopened)

    async def handled(count: int) -> bool:
        done = await notify.pool.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer LIKE '%status_changed'"
        )
        return bool(done == count)

    await wait_until(lambda: handled(1))
    await world.send(resolved.model_copy(update={"changed_at": now - timedelta(seconds=5)}))
    await wait_until(lambda: handled(2))
    told = await notify.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE incident_id = $1 AND event_kind = 'resolved'",
        incident.incident_id,
    )
    assert told == 0
    # Still open as far as notify knows: a reminder reaches the assignee.
    await world.send(
        SlaReminderDue(
            incident_id=incident.incident_id, clock="resolution", due_at=now, fired_at=now
        )
    )
    await wait_until(
        lambda: any("Reminder" in str(m["Subject"]) for m in mailbox.to("anna@example.com"))
    )


async def test_reminders_escalations_and_breaches_reach_the_people_the_ladder_names(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    incident = await world.incident(notify)
    await wait_until(lambda: mailbox.to("anna@example.com"))
    due = datetime.now(UTC) + timedelta(hours=1)
    now = datetime.now(UTC)
    await world.send(
        SlaReminderDue(
            incident_id=incident.incident_id, clock="resolution", due_at=due, fired_at=now
        )
    )
    await world.send(
        SlaEscalated(incident_id=incident.incident_id, level=1, notify="group_head", fired_at=now)
    )
    await world.send(
        SlaEscalated(
            incident_id=incident.incident_id, level=2, notify="department_head", fired_at=now
        )
    )
    breach = Envelope.wrap(
        SlaBreached(incident_id=incident.incident_id, clock="response", due_at=due, fired_at=now),
        producer="test",
    )
    await publish(world.settings, breach)
    await publish(world.settings, breach)  # a duplicate delivery changes nothing

    def subjects(address: str) -> list[str]:
        return [str(m["Subject"]) for m in mailbox.to(address)]

    await wait_until(
        lambda: (
            len(subjects("anna@example.com")) >= 3
            and len(subjects("mike@example.com")) >= 1
            and len(subjects("helen@example.com")) >= 2
            and len(subjects("pavel@example.com")) >= 1
        )
    )
    await wait_until(lambda: all_settled(notify))
    anna = subjects("anna@example.com")
    assert len(anna) == 3  # assignment, reminder, one breach
    assert sum("Reminder: resolution due" in s for s in anna) == 1
    assert sum("Deadline missed (first response)" in s for s in anna) == 1
    assert len(subjects("mike@example.com")) == 1  # the account manager: the reminder
    assert "Reminder" in subjects("mike@example.com")[0]
    helen = subjects("helen@example.com")  # group head: level 1 and the breach
    assert sorted("Escalation, level 1" in s or "Deadline missed" in s for s in helen) == [
        True,
        True,
    ]
    assert len(helen) == 2
    pavel = subjects("pavel@example.com")  # the category's contact, in Russian: level 2
    assert len(pavel) == 1
    assert "Эскалация, уровень 2" in pavel[0]
    assert not mailbox.to("rita@example.com")[1:]  # the client only got its confirmation


async def test_a_server_that_refuses_twice_gets_the_mail_on_the_third_attempt(
    notify: Service, world: World, smtp: tuple[int, Mailbox], rpc: RpcClient
) -> None:
    _, mailbox = smtp
    mailbox.refuse_next = 2
    incident = await world.incident(notify, assign=False)
    await wait_until(lambda: mailbox.to("rita@example.com"))
    assert mailbox.refusals == 2
    await wait_until(lambda: all_settled(notify))

    staff = Principal(user_id=world.head.user_id, role=Role.HEAD)
    page = await rpc.ask(ListNotifications(principal=staff, incident_id=incident.incident_id))
    assert isinstance(page, NotificationPage)
    assert page.total == 1
    first = page.items[0].notification_id
    view = await rpc.ask(GetNotification(principal=staff, notification_id=first))
    assert isinstance(view, NotificationView)
    assert view.status == "sent"
    assert view.attempts == 3
    assert [a.outcome for a in view.log] == ["failed", "failed", "sent"]
    assert [a.attempt for a in view.log] == [1, 2, 3]
    assert all("451" in (a.answer or "") for a in view.log[:2])
    assert incident.number in (view.body_text or "")

    client = Principal(
        user_id=world.requester.user_id, role=Role.CLIENT, organization_id=world.organization_id
    )
    with pytest.raises(RemoteFailure) as refused:
        await rpc.ask(ListNotifications(principal=client))
    assert refused.value.failure.status == 403


async def test_a_server_that_always_refuses_ends_failed_with_a_dead_letter_and_a_replay(
    notify: Service, world: World, smtp: tuple[int, Mailbox], rpc: RpcClient
) -> None:
    _, mailbox = smtp
    mailbox.refuse_always = True
    incident = await world.incident(notify, assign=False)
    await wait_until(lambda: all_settled(notify))
    row = await notify.pool.fetchrow(
        "SELECT * FROM deliveries WHERE incident_id = $1", incident.incident_id
    )
    assert row["status"] == "failed"
    assert row["attempts"] == 3
    assert row["failed_at"] is not None
    dead = await notify.pool.fetchrow(
        "SELECT * FROM dead_letters WHERE delivery_id = $1", row["id"]
    )
    assert dead["attempts"] == 3
    assert "3 attempts failed" in dead["reason"]
    assert "451" in dead["reason"]
    assert mailbox.refusals == 3
    assert not mailbox.messages

    # The operator replays the dead letter once the server is back.
    mailbox.refuse_always = False
    agent = Principal(user_id=world.agent.user_id, role=Role.AGENT)
    with pytest.raises(RemoteFailure) as refused:
        await rpc.ask(RetryNotification(principal=agent, notification_id=row["id"]))
    assert refused.value.failure.status == 403
    admin = Principal(user_id=uuid4(), role=Role.ADMIN)
    replayed = await rpc.ask(RetryNotification(principal=admin, notification_id=row["id"]))
    assert isinstance(replayed, NotificationView)
    assert replayed.status in ("pending", "sending", "sent")
    await wait_until(lambda: mailbox.to("rita@example.com"))
    await wait_until(lambda: all_settled(notify))
    assert len(mailbox.to("rita@example.com")) == 1
    assert await notify.pool.fetchval(
        "SELECT replayed_at IS NOT NULL FROM dead_letters WHERE delivery_id = $1", row["id"]
    )
    with pytest.raises(RemoteFailure) as again:
        await rpc.ask(RetryNotification(principal=admin, notification_id=row["id"]))
    assert again.value.failure.status == 409


async def test_notify_stopped_mid_run_loses_nothing_and_sends_nothing_twice(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    first = await start_notify(notify_max_attempts=50)
    world = await seed_world(desk_settings, first)
    mailbox.refuse_always = True  # the mail server is down: deliveries pile up
    incidents = [await world.incident(first, f"Printer {n}") for n in range(3)]
    await wait_until(
        lambda: first.pool.fetchval(
            "SELECT count(*) = 6 AND bool_and(attempts >= 1 AND status <> 'failed') FROM deliveries"
        )
    )
    await first.stop()

    conn = await asyncpg.connect(desk_settings.database_url("notify"))
    try:
        states = await conn.fetch("SELECT status, lease_token FROM deliveries")
    finally:
        await conn.close()
    # A clean stop hands every claim back: nothing waits for a lease to run out.
    assert len(states) == 6
    assert {row["status"] for row in states} == {"pending"}
    assert all(row["lease_token"] is None for row in states)

    mailbox.refuse_always = False
    successor = await start_notify(notify_max_attempts=50)
    await wait_until(lambda: all_settled(successor), timeout=30)
    assert await successor.pool.fetchval("SELECT bool_and(status = 'sent') FROM deliveries")
    for incident in incidents:
        for address in ("rita@example.com", "anna@example.com"):
            mails = [m for m in mailbox.to(address) if incident.number in str(m["Subject"])]
            assert len(mails) == 1


async def test_a_delivery_abandoned_by_a_crashed_sender_is_taken_again_after_its_lease(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    incident = await world.incident(notify, assign=False)
    await wait_until(lambda: mailbox.to("rita@example.com"))
    # A sender that died mid-send leaves its claim behind: `sending`, lease expired.
    await notify.pool.execute(
        """
        INSERT INTO deliveries (id, event_id, event_kind, incident_id, recipient_id, channel,
            address, locale, subject, body_text, status, attempts, next_attempt_at, lease_token)
        VALUES ($1, $2, 'incident_registered', $3, $4, 'email', 'late@example.com', 'en',
            'Abandoned', 'body', 'sending', 1, now() - interval '1 second', $5)
        """,
        uuid4(),
        uuid4(),
        incident.incident_id,
        world.requester.user_id,
        uuid4(),
    )
    await notify.pool.execute("SELECT pg_notify('deliveries', '')")
    mail = (await wait_until(lambda: mailbox.to("late@example.com")))[0]
    assert str(mail["Subject"]) == "Abandoned"


async def test_a_failure_reported_after_the_lease_ran_out_does_not_undo_a_send(
    notify: Service, world: World, smtp: tuple[int, Mailbox]
) -> None:
    """A send that outlasted its lease: another sender claimed the delivery and sent it.
    The slow sender's failure must not make it pending (it would go out once more)."""
    _, mailbox = smtp
    incident = await world.incident(notify, assign=False)
    await wait_until(lambda: mailbox.to("rita@example.com"))
    slow = Sender(notify)
    slow.pool = notify.pool
    delivery = uuid4()
    claimed = await notify.pool.fetchrow(
        """
        INSERT INTO deliveries (id, event_id, event_kind, incident_id, recipient_id, channel,
            address, locale, subject, body_text, status, attempts, next_attempt_at, lease_token)
        VALUES ($1, $2, 'incident_registered', $3, $4, 'email', 'slow@example.com', 'en',
            'Slow', 'body', 'sending', 1, now() + interval '1 minute', $5)
        RETURNING *
        """,
        delivery,
        uuid4(),
        incident.incident_id,
        world.requester.user_id,
        slow.token,
    )
    # Meanwhile the lease ran out, another sender took it over and the server accepted it.
    await notify.pool.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = now(), lease_token = NULL, "
        "attempts = 2 WHERE id = $1",
        delivery,
    )
    await slow._record_failure(claimed, DeliveryFailed("timed out", permanent=True))
    after = await notify.pool.fetchrow(
        "SELECT status, failed_at FROM deliveries WHERE id = $1", delivery
    )
    assert (after["status"], after["failed_at"]) == ("sent", None)
    assert not await notify.pool.fetchval(
        "SELECT count(*) FROM dead_letters WHERE delivery_id = $1", delivery
    )
    # The attempt itself is still in the delivery log.
    outcomes = await notify.pool.fetch(
        "SELECT outcome FROM delivery_attempts WHERE delivery_id = $1", delivery
    )
    assert [row["outcome"] for row in outcomes] == ["failed"]


async def test_sms_is_sent_when_chosen_retried_and_cut_to_fit(
    notify: Service, world: World, sms: SmsEndpoint, rpc: RpcClient, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    rita = Principal(
        user_id=world.requester.user_id, role=Role.CLIENT, organization_id=world.organization_id
    )
    await rpc.ask(
        SetNotificationPreferences(
            principal=rita,
            preferences=(
                NotificationPreference(
                    event_kind="incident_registered", channel="sms", enabled=True
                ),
                NotificationPreference(
                    event_kind="incident_registered", channel="email", enabled=False
                ),
            ),
        )
    )
    sms.script = [503]  # the provider stumbles once
    incident = await world.incident(notify, "Принтер печатает пустые страницы " * 20, assign=False)
    delivered = (await wait_until(lambda: sms.delivered("+79990001122")))[0]
    assert delivered["headers"]["authorization"] == "Bearer sms-secret"
    assert incident.number in delivered["json"]["text"]
    assert delivered["json"]["text"].endswith("...")
    from notify.sms_segments import segment_count

    assert segment_count(delivered["json"]["text"]) <= 3
    assert len(sms.requests) == 2
    await wait_until(lambda: all_settled(notify))
    row = await notify.pool.fetchrow(
        "SELECT * FROM deliveries WHERE incident_id = $1", incident.incident_id
    )
    assert (row["channel"], row["status"], row["attempts"]) == ("sms", "sent", 2)
    assert not mailbox.to("rita@example.com")  # she turned the e-mail off

    # A request the provider rejects as wrong is not retried: failed at once.
    sms.script = [400]
    second = await world.incident(notify, "Scanner", assign=False)
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT status = 'failed' FROM deliveries WHERE incident_id = $1",
            second.incident_id,
        )
    )
    failed = await notify.pool.fetchrow(
        "SELECT d.attempts, l.reason FROM deliveries d JOIN dead_letters l ON l.delivery_id = d.id"
        " WHERE d.incident_id = $1",
        second.incident_id,
    )
    assert failed["attempts"] == 1
    assert "refused permanently" in failed["reason"]
    assert "400" in failed["reason"]
    assert len(sms.requests) == 3


async def test_preferences_reject_kinds_outside_the_role(rpc: RpcClient) -> None:
    client = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=uuid4())
    with pytest.raises(RemoteFailure) as invalid:
        await rpc.ask(
            SetNotificationPreferences(
                principal=client,
                preferences=(
                    NotificationPreference(event_kind="resolved", channel="sms", enabled=True),
                    NotificationPreference(event_kind="escalation", channel="email", enabled=True),
                ),
            )
        )
    assert invalid.value.failure.status == 422
    assert [e.field for e in invalid.value.failure.errors] == ["preferences.1.event_kind"]


async def test_an_operator_template_overrides_the_packaged_one(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox], tmp_path: Path
) -> None:
    _, mailbox = smtp
    (tmp_path / "ru.incident_registered.subject.txt").write_text(
        "Заявка {{ number }} принята\n", encoding="utf-8"
    )
    notify = await start_notify(template_dir=tmp_path)
    world = await seed_world(desk_settings, notify)
    incident = await world.incident(notify, assign=False)
    mail = (await wait_until(lambda: mailbox.to("rita@example.com")))[0]
    # The incident's reference leads every subject (replies thread by it), whatever the
    # operator's template says.
    assert str(mail["Subject"]) == f"[{incident.number}] Заявка {incident.number} принята"
    assert "зарегистрировано" in text_of(mail)  # the body still comes from the package


class _RejectingHandler:
    """An SMTP server that knows the mailbox does not exist: a permanent 5xx."""

    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: object
    ) -> str:
        return "550 5.1.1 mailbox unavailable"


async def test_a_permanent_smtp_refusal_is_not_retried(
    start_notify: Starter, desk_settings: DeskSettings
) -> None:
    from aiosmtpd.controller import Controller
    from desk_runtime.testing import free_port

    port = free_port()
    controller = Controller(_RejectingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notify = await start_notify(smtp_port=port, notify_max_attempts=5)
        world = await seed_world(desk_settings, notify)
        incident = await world.incident(notify, assign=False)
        await wait_until(lambda: all_settled(notify))
        row = await notify.pool.fetchrow(
            "SELECT d.status, d.attempts, l.reason FROM deliveries d "
            "JOIN dead_letters l ON l.delivery_id = d.id WHERE d.incident_id = $1",
            incident.incident_id,
        )
    finally:
        controller.stop()
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert row["reason"].startswith("refused permanently")
    assert "550" in row["reason"]
