"""The gateway's inbound listener against its real database, through a real SMTP client
(smtplib): what the sending server hears for a stranger, a mail above the size limit,
a sender over its hourly rate and an unreadable mail — and that each answer but the
deferral comes only after the mail is stored."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid

import asyncpg
import pytest
import pytest_asyncio
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import free_port, started, wait_until
from portal_gateway.app import build_service
from portal_gateway.domain.mail.rules import mail_size_limit

pytestmark = pytest.mark.integration

LIMIT = 200_000


@pytest_asyncio.fixture
async def gateway(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    settings = desk_settings.replaced(
        **{
            "inbound_smtp_port": free_port(),
            "max_upload_bytes": LIMIT,
            "inbound_per_sender_hourly": 3,
            "mail_from": "Service Desk <desk@support.example.com>",
        }
    )
    async with started(build_service(settings, mail=True)) as service:
        await wait_until(lambda: _listening(settings.inbound.smtp_port), timeout=20)
        yield service


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


def deliver(service: Service, raw: bytes, sender: str = "stranger@nowhere.example") -> None:
    with smtplib.SMTP("127.0.0.1", service.settings.inbound.smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, ["help@support.example.com"], raw)


async def send(service: Service, raw: bytes, sender: str = "stranger@nowhere.example") -> None:
    await asyncio.to_thread(deliver, service, raw, sender)


def wire(message: EmailMessage) -> bytes:
    """The mail as it travels over SMTP: lines end with CRLF."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def stranger_mail(subject: str = "Please help") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Stranger <stranger@nowhere.example>"
    message["To"] = "help@support.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="nowhere.example")
    message.set_content("Is anyone there?")
    return message


async def rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT * FROM inbound_mail ORDER BY received_at"))


async def test_a_stranger_is_refused_only_after_the_mail_is_stored(gateway: Service) -> None:
    message = stranger_mail()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send(gateway, wire(message))
    assert refused.value.smtp_code == 550
    assert b"is not the address of a client of this desk" in refused.value.smtp_error
    [row] = await rows(gateway.pool)
    assert (row["mail_key"], row["status"], row["sender"]) == (
        message["Message-ID"],
        "refused",
        "stranger@nowhere.example",
    )
    stored = bytes(row["raw"])
    assert b"Is anyone there?" in stored
    assert stored.startswith(b"From: Stranger <stranger@nowhere.example>")
    assert row["size"] == len(stored)


async def test_a_mail_above_the_limit_is_refused_with_552_and_not_stored(
    gateway: Service,
) -> None:
    message = stranger_mail()
    # Above what the listener takes at all (a file of the limit, encoded, with the text).
    too_big = b"\1" * mail_size_limit(LIMIT)
    message.add_attachment(too_big, "application", "octet-stream", filename="a.bin")
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        await send(gateway, wire(message))
    assert refused.value.smtp_code == 552
    assert await rows(gateway.pool) == []


async def test_a_sender_over_its_hourly_rate_is_deferred_and_nothing_is_stored(
    gateway: Service,
) -> None:
    for n in range(3):
        with pytest.raises(smtplib.SMTPDataError):
            await send(gateway, wire(stranger_mail(f"Mail {n}")))
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        await send(gateway, wire(stranger_mail("Mail 3")))
    assert deferred.value.smtp_code == 451
    assert b"more than 3 mails an hour from stranger@nowhere.example" in deferred.value.smtp_error
    assert len(await rows(gateway.pool)) == 3


async def test_an_unreadable_mail_is_taken_and_quarantined(gateway: Service) -> None:
    await send(gateway, b"\r\nno headers, only this line\r\n")
    [row] = await rows(gateway.pool)
    assert row["status"] == "quarantined"
    quarantined = await gateway.pool.fetchrow(
        "SELECT * FROM mail_quarantine WHERE mail_id = $1", row["id"]
    )
    assert quarantined["error"] == "the mail has no headers"
