"""Kept SMTP sessions against a real SMTP server (aiosmtpd): many mails over one
session, and a session the server refused on is never used again."""

from __future__ import annotations

import pytest
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import Mailbox
from notify.email import DeliveryFailed, SmtpSessions, send_email

pytestmark = pytest.mark.integration


async def mail(settings: DeskSettings, sessions: SmtpSessions, n: int) -> str:
    return await send_email(
        settings,
        sessions,
        to=f"agent-{n}@example.com",
        subject=f"Incident {n}",
        text="Assigned to you.",
        html=None,
        message_key=f"delivery-{n}",
    )


async def test_mails_share_one_session_until_the_server_refuses(
    smtp: tuple[int, Mailbox],
) -> None:
    port, mailbox = smtp
    settings = DeskSettings(smtp_host="127.0.0.1", smtp_port=port)
    sessions = SmtpSessions(settings, keep=2)
    try:
        answers = [await mail(settings, sessions, n) for n in range(5)]
        assert all("OK" in answer for answer in answers)
        assert [m["To"] for m in mailbox.messages] == [f"agent-{n}@example.com" for n in range(5)]
        assert len(set(mailbox.peers)) == 1

        mailbox.refuse_next = 1
        with pytest.raises(DeliveryFailed) as refused:
            await mail(settings, sessions, 5)
        assert not refused.value.permanent
        assert "451" in refused.value.answer
        await mail(settings, sessions, 6)
        # The refused session was closed: the next mail came over a new one.
        assert len(mailbox.messages) == 6
        assert mailbox.peers[-1] != mailbox.peers[0]
    finally:
        await sessions.close()
