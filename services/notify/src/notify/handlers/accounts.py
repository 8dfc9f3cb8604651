"""Mails about a person's own account: the password reset link, asked for on the
login page. Sent to the account's e-mail in its language whatever the preferences
(nobody could ask for a link otherwise); the delivery log withholds its text."""

from __future__ import annotations

from desk_contracts.messages import PasswordResetRequested
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import deliveries
from ..recipients import Recipient

handlers = Handlers()

PASSWORD_RESET = "password_reset"
# Kinds whose text the delivery log never shows: it carries a secret link.
SECRET_KINDS = frozenset({PASSWORD_RESET})


@handlers.handles(PasswordResetRequested)
async def on_password_reset(event: PasswordResetRequested, uow: UnitOfWork) -> None:
    """One mail per request (a redelivered request queues nothing more)."""
    notifier = deliveries.notifier_of(uow.service)
    await deliveries.queue_plain_mail(
        uow,
        PASSWORD_RESET,
        Recipient(event.user_id, "asked for a password reset"),
        {
            "username": event.username,
            "expires_at": event.expires_at,
            "link": notifier.password_reset_link(event.token),
        },
    )
