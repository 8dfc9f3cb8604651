"""A forgotten password: a link by e-mail (notify sends it, in the account's language)
that works once, until it expires, and sets a new password that ends every session.

Asking answers the same whether or not an account has that login or e-mail (nothing to
learn by asking), and is throttled per login or e-mail typed and per address with the
login throttle's own counters. Only the SHA-256 of a token is stored."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import asyncpg
from desk_contracts.messages import PasswordResetRequested
from desk_runtime.service import Service
from litestar.exceptions import ValidationException
from pydantic import BaseModel, Field

from ...accounts import LoginAttempt, claim_login_attempt, hash_password, token_digest
from ...schemas import Body
from ..accounts.schemas import Password
from .service import TooManyAttempts

# Accounts sharing one e-mail each get a link (the mail names the login); no more than this.
MAX_ACCOUNTS_PER_EMAIL = 5


class PasswordResetRequest(Body):
    """A login, or the e-mail of an account."""

    login: str = Field(min_length=1, max_length=254)


class PasswordResetConfirm(Body):
    token: str = Field(min_length=1, max_length=200)
    new_password: Password


class PasswordResetAsked(BaseModel):
    detail: str


class LinkState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def link_state(
    found: bool, used_at: datetime | None, expires_at: datetime | None, now: datetime
) -> LinkState:
    """What a reset link is worth now (pure): used beats expired, so a reader who used
    it is not told to ask again for nothing."""
    if not found or expires_at is None:
        return LinkState.UNKNOWN
    if used_at is not None:
        return LinkState.USED
    if expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.VALID


ASKED = "if an account has this login or e-mail, a link to set a new password is on its way"

# What the API says of a link that is not valid (the pages say it in the reader's words).
LINK_PROBLEMS = {
    LinkState.USED: "this link has already been used; ask for a new one",
    LinkState.EXPIRED: "this link has expired; ask for a new one",
    LinkState.UNKNOWN: "this link is not valid; ask for a new one",
}


class LinkRefused(ValidationException):
    """A used, expired or unknown link: a 422 naming `token`, nothing written."""

    def __init__(self, state: LinkState) -> None:
        self.state = state
        super().__init__(
            detail="invalid request", extra=[{"key": "token", "message": LINK_PROBLEMS[state]}]
        )


async def request_reset(service: Service, address: str | None, data: PasswordResetRequest) -> None:
    """Mail a link to each active account with this login (else this e-mail) that has
    an e-mail; the caller answers the same in every case."""
    settings = service.settings
    typed = data.login.strip().lower()
    attempt = await claim_login_attempt(
        service.pool,
        {
            f"reset:{typed}": settings.password_reset_max_requests,
            f"reset-addr:{address}": settings.password_reset_max_per_address,
        },
        timedelta(seconds=settings.password_reset_window_seconds),
    )
    if not isinstance(attempt, LoginAttempt):
        raise TooManyAttempts(
            "too many password reset requests; try again later",
            headers={"Retry-After": str(max(1, round(attempt)))},
        )
    lifetime = timedelta(minutes=settings.password_reset_minutes)
    async with service.transaction() as uow:
        rows = await uow.conn.fetch(
            """
            SELECT id, username FROM users
            WHERE active AND email IS NOT NULL
              AND (lower(username) = $1
                   OR (lower(email) = $1
                       AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.username) = $1)))
            ORDER BY username LIMIT $2
            """,
            typed,
            MAX_ACCOUNTS_PER_EMAIL,
        )
        for row in rows:
            token = secrets.token_urlsafe(32)
            # A newer link voids the older ones: only the last mail works.
            await void_links(uow.conn, row["id"])
            expires_at = await uow.conn.fetchval(
                "INSERT INTO password_resets (token_hash, user_id, expires_at) "
                "VALUES ($1, $2, now() + $3::interval) RETURNING expires_at",
                token_digest(token),
                row["id"],
                lifetime,
            )
            await uow.publish(
                PasswordResetRequested(
                    user_id=row["id"],
                    username=row["username"],
                    token=token,
                    expires_at=expires_at,
                )
            )


async def check_link(service: Service, token: str) -> LinkState:
    row = await service.pool.fetchrow(
        "SELECT r.used_at, r.expires_at, now() AS db_now FROM password_resets r "
        "JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1 AND u.active",
        token_digest(token),
    )
    if row is None:
        return LinkState.UNKNOWN
    return link_state(True, row["used_at"], row["expires_at"], row["db_now"])


async def reset_password(service: Service, data: PasswordResetConfirm) -> UUID:
    """Set the new password once: the link is used up, every session of the account
    ends, and its other links are void. Raises LinkRefused for a link not valid."""
    async with service.transaction() as uow:
        row = await uow.conn.fetchrow(
            "SELECT r.user_id, r.used_at, r.expires_at, now() AS db_now "
            "FROM password_resets r JOIN users u ON u.id = r.user_id "
            "WHERE r.token_hash = $1 AND u.active FOR UPDATE OF r",
            token_digest(data.token),
        )
        state = link_state(
            row is not None,
            row["used_at"] if row else None,
            row["expires_at"] if row else None,
            row["db_now"] if row else datetime.min,
        )
        if row is None or state is not LinkState.VALID:
            raise LinkRefused(state)
        user_id: UUID = row["user_id"]
        await uow.conn.execute(
            "UPDATE password_resets SET used_at = now() WHERE token_hash = $1",
            token_digest(data.token),
        )
        await void_links(uow.conn, user_id)
        await uow.conn.execute(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
            user_id,
            hash_password(data.new_password),
        )
        await uow.conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
    return user_id


async def void_links(conn: asyncpg.Connection, user_id: UUID) -> None:
    """Every unused link of the account stops working (a newer link, a new password)."""
    await conn.execute(
        "UPDATE password_resets SET expires_at = least(expires_at, now()) "
        "WHERE user_id = $1 AND used_at IS NULL",
        user_id,
    )
