"""E-mail over SMTP (aiosmtplib), configured by the DESK_SMTP_* variables."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from desk_runtime.settings import DeskSettings


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the answer is kept in the log."""


async def send_email(
    settings: DeskSettings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_key: str,
) -> str:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=message_key, domain="desk.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    try:
        _, answer = await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=15,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(str(error)) from error
    return answer
