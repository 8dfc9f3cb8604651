"""A burst of changes on one incident makes one mail per recipient, on the real broker,
database and SMTP server: thirteen files added one by one are one mail listing the
thirteen, a redelivered event adds nothing, and a group that notify stopped in the
middle of is sent whole, once, under its delivery's Message-ID."""

from __future__ import annotations

from email.message import EmailMessage

import asyncpg
import pytest
from desk_contracts.enums import EntryKind, Role
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox, publish, wait_until

from .conftest import Starter, seed_world
from .test_notify_delivery import all_settled, entry, html_of, text_of

pytestmark = pytest.mark.integration

RITA = "rita@example.com"


def about(mailbox: Mailbox, number: str) -> list[EmailMessage]:
    return [m for m in mailbox.to(RITA) if number in str(m["Subject"])]


async def test_thirteen_files_added_one_by_one_make_one_mail_listing_them(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    notify = await start_notify(notify_group_seconds=3)
    world = await seed_world(desk_settings, notify)
    incident = await world.incident(notify)
    await wait_until(lambda: about(mailbox, incident.number))  # the confirmation
    envelopes = []
    for n in range(1, 14):
        envelopes.append(
            await world.send(
                entry(
                    world,
                    incident,
                    kind=EntryKind.ATTACHMENT,
                    author_id=world.agent.user_id,
                    author_role=Role.AGENT,
                    text=f"Attached: sheet-{n:02d}.dwg",
                    files=(f"sheet-{n:02d}.dwg",),
                )
            )
        )
    # The first file's event once more, as a broker redelivers it: nothing is added.
    await publish(desk_settings, envelopes[0])
    await wait_until(lambda: len(about(mailbox, incident.number)) >= 2, timeout=40)
    await wait_until(lambda: all_settled(notify))

    mails = about(mailbox, incident.number)
    assert len(mails) == 2, [str(m["Subject"]) for m in mails]
    grouped = mails[1]
    assert "Изменений: 13" in str(grouped["Subject"])
    for n in range(1, 14):
        assert f"Файлы: sheet-{n:02d}.dwg" in text_of(grouped)
        assert f"sheet-{n:02d}.dwg" in html_of(grouped)
    rows = await notify.pool.fetch(
        "SELECT d.id, count(c.*) AS changes FROM deliveries d "
        "JOIN delivery_changes c ON c.delivery_id = d.id "
        "WHERE d.event_kind = 'public_reply' GROUP BY d.id"
    )
    assert [row["changes"] for row in rows] == [13]
    assert f"<{rows[0]['id']}@" in str(grouped["Message-ID"])


async def test_a_group_notify_stopped_in_the_middle_of_is_sent_whole_once(
    start_notify: Starter, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    first = await start_notify(notify_group_seconds=60)
    world = await seed_world(desk_settings, first)
    incident = await world.incident(first)
    await wait_until(lambda: about(mailbox, incident.number))
    for words in ("The log is attached.", "Second try fails too.", "Now it prints."):
        await world.send(
            entry(
                world, incident, author_id=world.agent.user_id, author_role=Role.AGENT, text=words
            )
        )
    await wait_until(lambda: first.pool.fetchval("SELECT count(*) = 3 FROM delivery_changes"))
    await first.stop()  # within the window: the group lives in the database alone

    conn = await asyncpg.connect(desk_settings.database_url("notify"))
    try:
        pending = await conn.fetch(
            "SELECT id, status FROM deliveries WHERE event_kind = 'public_reply'"
        )
        assert [row["status"] for row in pending] == ["pending"]
        # The window runs out while notify is down.
        await conn.execute("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")
    finally:
        await conn.close()

    successor = await start_notify(notify_group_seconds=60)
    await wait_until(lambda: len(about(mailbox, incident.number)) >= 2, timeout=30)
    await wait_until(lambda: all_settled(successor))
    mails = about(mailbox, incident.number)
    assert len(mails) == 2
    grouped = mails[1]
    assert f"<{pending[0]['id']}@" in str(grouped["Message-ID"])
    text = text_of(grouped)
    assert "Изменений по обращению" in text
    positions = [
        text.index(words)
        for words in ("The log is attached.", "Second try fails too.", "Now it prints.")
    ]
    assert positions == sorted(positions)

    # After the send, the next change starts a mail of its own.
    await world.send(
        entry(world, incident, author_id=world.agent.user_id, author_role=Role.AGENT, text="Bye.")
    )
    await wait_until(
        lambda: successor.pool.fetchval(
            "SELECT count(*) = 2 FROM deliveries WHERE event_kind = 'public_reply'"
        )
    )
    opened = await successor.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE event_kind = 'public_reply' "
        "AND gathering_until IS NOT NULL"
    )
    assert opened == 1
