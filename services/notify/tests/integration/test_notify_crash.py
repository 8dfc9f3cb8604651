"""What a crashed or slow sender can and cannot do, against the real database, a real
SMTP server (aiosmtpd) and a local HTTP SMS provider: a send the server accepted is
recorded when the send returns; a resend after a crash carries the same Message-ID (or
SMS idempotency key); a send that outlasts its lease keeps it by renewal, and one whose
claim was taken over is cut short before its mail goes out."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import notify.sender
import pytest
from aiosmtpd.controller import Controller
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox, free_port, wait_until
from notify.sender import Sender

from .conftest import SmsEndpoint, Starter, World, seed_world

pytestmark = pytest.mark.integration

MAIL_FROM = "Service Desk <desk@support.example.com>"


@pytest.fixture
def start_notify(start_notify: Starter) -> Starter:
    """Notify as the delivery tests start it, sending from an address with a domain."""

    async def start(**overrides: Any) -> Service:
        service: Service = await start_notify(**{"mail_from": MAIL_FROM, **overrides})
        return service

    return start


async def queue_delivery(
    notify: Service, world: World, channel: str, *, claimed_by: UUID | None = None
) -> asyncpg.Record:
    """A delivery of the requester's, pending or already claimed by `claimed_by` (whose
    lease then lasts a minute, as a sender's that is about to die)."""
    address = "crash@example.com" if channel == "email" else "+15550009999"
    row: asyncpg.Record = await notify.pool.fetchrow(
        """
        INSERT INTO deliveries (id, event_id, event_kind, recipient_id, channel, address,
            locale, subject, body_text, status, attempts, next_attempt_at, lease_token)
        VALUES ($1, $2, 'incident_registered', $3, $4, $5, 'en', 'Crash test', 'Body',
            $6, $7, now() + $8::interval, $9)
        RETURNING *
        """,
        uuid4(),
        uuid4(),
        world.requester.user_id,
        channel,
        address,
        "pending" if claimed_by is None else "sending",
        0 if claimed_by is None else 1,
        timedelta(minutes=1) if claimed_by else timedelta(0),
        claimed_by,
    )
    return row


async def outcomes(notify: Service, delivery_id: UUID) -> list[str]:
    rows = await notify.pool.fetch(
        "SELECT outcome FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id", delivery_id
    )
    return [row["outcome"] for row in rows]


@pytest.mark.parametrize("channel", ["email", "sms"])
async def test_a_resend_after_a_crash_is_recognisably_the_same_message(
    start_notify: Starter,
    desk_settings: DeskSettings,
    smtp: tuple[int, Mailbox],
    sms: SmsEndpoint,
    channel: str,
) -> None:
    _, mailbox = smtp
    notify = await start_notify()
    world = await seed_world(desk_settings, notify)
    # A sender claimed the delivery, the server accepted it, and the sender died before
    # it recorded the send: the row is still `sending` under the dead sender's lease.
    crashed = Sender(notify)
    row = await queue_delivery(notify, world, channel, claimed_by=crashed.token)
    try:
        await crashed._send(row)
    finally:
        await crashed._smtp.close()
        await crashed._http.aclose()
    # The lease runs out: a live sender takes the delivery again and sends it again.
    await notify.pool.execute(
        "UPDATE deliveries SET next_attempt_at = now() WHERE id = $1", row["id"]
    )
    await notify.pool.execute("SELECT pg_notify('deliveries', '')")
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT status = 'sent' FROM deliveries WHERE id = $1", row["id"]
        )
    )
    if channel == "email":
        copies = mailbox.to("crash@example.com")
        assert len(copies) == 2
        assert {str(mail["Message-ID"]) for mail in copies} == {
            f"<{row['id']}@support.example.com>"
        }
    else:
        copies_sms = [r for r in sms.requests if r["json"]["to"] == "+15550009999"]
        assert len(copies_sms) == 2
        assert {r["headers"]["idempotency-key"] for r in copies_sms} == {str(row["id"])}
    assert await outcomes(notify, row["id"]) == ["sent"]


async def test_every_mail_of_a_delivery_has_its_message_id_and_no_other_delivery_shares_it(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    notify = await start_notify()
    world = await seed_world(desk_settings, notify)
    incidents = [await world.incident(notify, f"Printer {n}") for n in range(3)]
    await wait_until(lambda: len(mailbox.messages) == 6)
    ids = await notify.pool.fetch(
        "SELECT id FROM deliveries WHERE incident_id = ANY($1::uuid[])",
        [incident.incident_id for incident in incidents],
    )
    expected = {f"<{row['id']}@support.example.com>" for row in ids}
    assert {str(mail["Message-ID"]) for mail in mailbox.messages} == expected
    assert len(expected) == 6


async def test_an_accepted_send_is_recorded_when_the_send_returns(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    """A sender whose loop never turns again (as if it died right after the send):
    every accepted send is already `sent` when the send returns."""
    _, mailbox = smtp
    notify = await start_notify()
    world = await seed_world(desk_settings, notify)
    sender = Sender(notify)
    sender.use_pool(notify.pool)
    # Claimed by this sender (the running one leaves them alone), sent 8 at once.
    rows = [await queue_delivery(notify, world, "email", claimed_by=sender.token) for _ in range(8)]
    try:
        sends = asyncio.gather(*(sender._deliver(row, sender._lease_deadline()) for row in rows))
        await asyncio.wait_for(sends, 30)  # a record left for later would never come
        states = await notify.pool.fetch(
            "SELECT status, lease_token, sent_at FROM deliveries WHERE id = ANY($1::uuid[])",
            [row["id"] for row in rows],
        )
    finally:
        await sender.accepted.close(timeout=5)
        await sender._smtp.close()
        await sender._http.aclose()
    assert [(s["status"], s["lease_token"]) for s in states] == [("sent", None)] * 8
    assert all(s["sent_at"] is not None for s in states)
    assert len(mailbox.to("crash@example.com")) == 8
    for row in rows:
        assert await outcomes(notify, row["id"]) == ["sent"]


class SlowRecipientServer:
    """An SMTP server whose first RCPT takes `delay` seconds (each later one answers at
    once): a send under way for a while before its mail is handed over."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.slow_rcpt_started = threading.Event()
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not self.slow_rcpt_started.is_set():
            self.slow_rcpt_started.set()
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify.sender, "LEASE", timedelta(seconds=6))
    monkeypatch.setattr(notify.sender, "RENEW_SECONDS", 0.5)
    monkeypatch.setattr(notify.sender, "LEASE_MARGIN_SECONDS", 1.0)


@pytest.fixture
def slow_server() -> Iterator[tuple[int, SlowRecipientServer]]:
    handler = SlowRecipientServer(delay=9.0)  # longer than the lease
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


@pytest.mark.usefixtures("short_lease")
async def test_a_send_longer_than_its_lease_keeps_the_claim_and_goes_out_once(
    start_notify: Starter,
    desk_settings: DeskSettings,
    slow_server: tuple[int, SlowRecipientServer],
) -> None:
    port, server = slow_server
    # Two senders: had the first one's lease run out, the second would take the claim.
    first = await start_notify(smtp_port=port)
    await start_notify(smtp_port=port)
    world = await seed_world(desk_settings, first)
    row = await queue_delivery(first, world, "email")
    await first.pool.execute("SELECT pg_notify('deliveries', '')")
    await wait_until(
        lambda: first.pool.fetchval(
            "SELECT status = 'sent' FROM deliveries WHERE id = $1", row["id"]
        ),
        timeout=30,
    )
    assert server.slow_rcpt_started.is_set()
    assert [str(m["Message-ID"]) for m in server.messages] == [f"<{row['id']}@support.example.com>"]
    final = await first.pool.fetchrow("SELECT attempts FROM deliveries WHERE id = $1", row["id"])
    assert final["attempts"] == 1
    assert await outcomes(first, row["id"]) == ["sent"]


@pytest.mark.usefixtures("short_lease")
async def test_a_send_whose_claim_was_taken_over_is_cut_short_before_its_mail(
    start_notify: Starter,
    desk_settings: DeskSettings,
    slow_server: tuple[int, SlowRecipientServer],
) -> None:
    port, server = slow_server
    notify = await start_notify(smtp_port=port)
    world = await seed_world(desk_settings, notify)
    row = await queue_delivery(notify, world, "email")
    await notify.pool.execute("SELECT pg_notify('deliveries', '')")
    await wait_until(server.slow_rcpt_started.is_set)
    # As if the lease had run out and another sender had claimed the row: its lease,
    # its token. The first sender must not hand the mail over any more.
    await notify.pool.execute(
        "UPDATE deliveries SET lease_token = $2, attempts = attempts + 1, "
        "next_attempt_at = now() + interval '1 second' WHERE id = $1",
        row["id"],
        uuid4(),
    )
    await wait_until(lambda: outcomes(notify, row["id"]))
    assert await outcomes(notify, row["id"]) == ["failed"]
    answer = await notify.pool.fetchval(
        "SELECT answer FROM delivery_attempts WHERE delivery_id = $1", row["id"]
    )
    assert "cut short" in answer
    # The other claim's lease runs out in turn (nobody sends it): it goes out once.
    await wait_until(
        lambda: notify.pool.fetchval(
            "SELECT status = 'sent' FROM deliveries WHERE id = $1", row["id"]
        ),
        timeout=30,
    )
    assert len(server.messages) == 1
    assert await outcomes(notify, row["id"]) == ["failed", "sent"]
