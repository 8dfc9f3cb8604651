"""E-mail over SMTP (aiosmtplib), configured by the DESK_SMTP_* variables."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import time
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from uuid import UUID

import aiosmtplib
from desk_runtime.settings import DeskSettings


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the answer is kept in the log.
    `permanent` means trying again cannot help (a 5xx reply, a refused request)."""

    def __init__(self, answer: str, *, permanent: bool = False) -> None:
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


@functools.cache
def _local_hostname() -> str:
    return socket.getfqdn()


async def local_hostname() -> str:
    """The name we greet SMTP servers with. aiosmtplib would look it up again for every
    connection, blocking the event loop on a DNS query each time: look it up once (in a
    thread, then from the cache without one)."""
    if _local_hostname.cache_info().currsize:
        return _local_hostname()
    return await asyncio.to_thread(_local_hostname)


def mail_domain(sender: str) -> str:
    """The domain of the sender's address (`desk.local` when it has none): every
    Message-ID the desk makes is at it, so a reply that names one is recognised."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return domain if at and domain else "desk.local"


def message_id(message_key: str, sender: str) -> str:
    """`<message_key@domain of the sender's address>`: the same for every copy of one
    delivery, so a mail sent again after a crash is recognisably the same mail (and a
    reply whose In-Reply-To names it alone is threaded by asking notify for the
    delivery's incident, `FindMailThread`). Short enough never to be folded."""
    return f"<{message_key}@{mail_domain(sender)}>"


def thread_id(incident_id: UUID, sender: str) -> str:
    """The root of an incident's thread, `<incident_id@domain>`: no mail carries it as its
    own Message-ID, every mail about the incident names it in In-Reply-To and References,
    so mail clients show them as one conversation and replies name the incident."""
    return f"<{incident_id}@{mail_domain(sender)}>"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_key: str,
    incident_id: UUID | None = None,
    reply_to: str | None = None,
) -> Message:
    """The mail as MIME parts. Built with the classic MIME classes: the header registry
    behind EmailMessage parsed every header again and cost a third of notify's CPU.

    A mail about an incident joins its thread (In-Reply-To and References name the
    thread's root); replies go to the desk's inbound address when one is configured;
    every mail says it was sent by a machine (RFC 3834), so auto-responders stay quiet
    and the desk's own inbound listener never files it."""
    body: Message
    if html:
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(text, "plain", "utf-8"))
        body.attach(MIMEText(html, "html", "utf-8"))
    else:
        body = MIMEText(text, "plain", "utf-8")
    name, address = parseaddr(sender)
    body["From"] = formataddr((name, address), charset="utf-8")
    body["To"] = to
    # Russian subjects travel RFC 2047-encoded; ASCII ones stay readable as they are.
    if subject.isascii():
        body["Subject"] = subject
    else:
        body["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]
    body["Date"] = formatdate(localtime=False)
    body["Message-ID"] = message_id(message_key, sender)
    if incident_id is not None:
        root = thread_id(incident_id, sender)
        body["In-Reply-To"] = root
        body["References"] = root
    if reply_to:
        reply_name, reply_address = parseaddr(reply_to)
        body["Reply-To"] = formataddr((reply_name, reply_address), charset="utf-8")
    body["Auto-Submitted"] = "auto-generated"
    # Exchange and Outlook answer no out-of-office or read receipt to it.
    body["X-Auto-Response-Suppress"] = "All"
    return body


# A server may drop a session it has left idle; ours are closed before that happens,
# and one that rested longer than a moment is checked with NOOP before a mail.
SESSION_IDLE_SECONDS = 30.0
SESSION_CHECK_SECONDS = 1.0
SEND_TIMEOUT_SECONDS = 15.0


class SmtpSessions:
    """Open SMTP sessions kept for the next mail: connecting, the greeting, EHLO,
    STARTTLS and AUTH are paid once per session instead of once per message, on our side
    and the server's. A session that failed is closed, never handed out again."""

    def __init__(self, settings: DeskSettings, keep: int) -> None:
        self.settings = settings
        self.keep = keep
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def _open(self) -> aiosmtplib.SMTP:
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp.host,
            port=settings.smtp.port,
            username=settings.smtp.user,
            password=settings.smtp.password,
            start_tls=settings.smtp.starttls,
            local_hostname=await local_hostname(),
            timeout=SEND_TIMEOUT_SECONDS,
        )
        await client.connect()
        return client

    async def _session(self) -> aiosmtplib.SMTP:
        """A kept session that still answers, else a new one. One that rested for a
        moment is asked NOOP first: a mail is never written to a session the server may
        have dropped, so a failed send is never a mail that might have gone out."""
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if not client.is_connected or now - since >= SESSION_IDLE_SECONDS:
                client.close()
                continue
            if now - since >= SESSION_CHECK_SECONDS:
                try:
                    await client.noop()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
                    continue
            return client
        return await self._open()

    async def send(self, message: Message) -> str:
        """Send one message; returns the server's answer. The session goes back to the
        kept ones only after a clean exchange."""
        client = await self._session()
        try:
            _, answer = await client.send_message(message)
        except BaseException:
            client.close()
            raise
        if len(self._idle) < self.keep and client.is_connected:
            self._idle.append((client, time.monotonic()))
        else:
            client.close()
        return answer

    async def close(self) -> None:
        while self._idle:
            client, _ = self._idle.pop()
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()


async def send_email(
    settings: DeskSettings,
    sessions: SmtpSessions,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_key: str,
    incident_id: UUID | None = None,
) -> str:
    """Send one message; the answer of the server is returned for the delivery log.
    The Message-ID is derived from the delivery, so a resend after a crash between the
    server's acceptance and our record of it can be recognised as the same mail."""
    message = build_message(
        sender=settings.smtp.mail_from,
        to=to,
        subject=subject,
        text=text,
        html=html,
        message_key=message_key,
        incident_id=incident_id,
        reply_to=settings.inbound.address,
    )
    try:
        return await sessions.send(message)
    except aiosmtplib.SMTPResponseException as error:
        raise DeliveryFailed(
            f"{error.code} {error.message}", permanent=500 <= error.code < 600
        ) from error
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [refusal.code for refusal in error.recipients]
        raise DeliveryFailed(
            "; ".join(f"{r.code} {r.message}" for r in error.recipients),
            permanent=all(500 <= code < 600 for code in codes),
        ) from error
    except (aiosmtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(str(error) or type(error).__name__) from error
