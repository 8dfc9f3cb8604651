"""Passwords, tokens and the principal behind a request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from desk_contracts.enums import Locale, Role, Scope
from desk_contracts.messages import Principal, UserUpserted

from .security import Network, retry_after, session_alive

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
PASSWORDS = PasswordHasher(memory_cost=19 * 1024, time_cost=2, parallelism=1)
# Verifying against this when the user does not exist keeps timing uniform.
_DUMMY_HASH = PASSWORDS.hash("not-a-real-password")

TOKEN_LIFETIME = timedelta(hours=12)


# The password of an account that has none yet (a contact filed from its mail): no
# password verifies against it, so nobody signs in until one is set (a reset link to
# the account's address, or an admin).
NO_PASSWORD = "!"


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            PASSWORDS.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class User:
    id: UUID
    username: str
    display_name: str
    email: str | None
    phone: str | None
    locale: Locale
    role: Role
    organization_id: UUID | None
    scope: Scope | None
    active: bool
    # The zone the user reads times in; None: the organization's, else the desk's.
    time_zone: str | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            email=row["email"],
            phone=row["phone"],
            locale=Locale(row["locale"]),
            role=Role(row["role"]),
            organization_id=row["organization_id"],
            scope=Scope(row["scope"]) if row["scope"] else None,
            active=row["active"],
            time_zone=row.get("time_zone"),
        )

    @property
    def principal(self) -> Principal:
        return Principal(
            user_id=self.id,
            role=self.role,
            organization_id=self.organization_id,
            scope=self.scope,
        )

    def upserted_event(self) -> UserUpserted:
        return UserUpserted(
            user_id=self.id,
            username=self.username,
            display_name=self.display_name,
            email=self.email,
            phone=self.phone,
            locale=self.locale,
            role=self.role,
            organization_id=self.organization_id,
            scope=self.scope,
            active=self.active,
            time_zone=self.time_zone,
        )


async def issue_token(conn: asyncpg.Connection, user_id: UUID, kind: str = "bearer") -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (token_hash, user_id, kind, expires_at) "
        "VALUES ($1, $2, $3, now() + $4::interval)",
        token_digest(token),
        user_id,
        kind,
        TOKEN_LIFETIME,
    )
    return token


@dataclass(frozen=True)
class Session:
    """Who a bearer token or a web session cookie stands for, and what guards it."""

    user: User
    kind: str
    csrf_token: str | None
    allow_list: tuple[Network, ...]


async def user_for_token(pool: asyncpg.Pool, token: str) -> User | None:
    session = await session_for_token(pool, token, "bearer")
    return session.user if session else None


async def session_for_token(
    pool: asyncpg.Pool,
    token: str,
    kind: str,
    *,
    idle: timedelta | None = None,
    absolute: timedelta | None = None,
) -> Session | None:
    """The live session of `kind` behind a secret; web sessions also die when idle and
    are touched on each use. Deactivated users lose every session at once."""
    digest = token_digest(token)
    row = await pool.fetchrow(
        """
        SELECT u.*, s.kind AS session_kind, s.csrf_token, s.created_at AS session_created_at,
            s.last_seen_at, now() AS db_now, coalesce(o.ip_allow_list, '{}') AS allow_list
        FROM sessions s JOIN users u ON u.id = s.user_id
        LEFT JOIN organizations o ON o.id = u.organization_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active
        """,
        digest,
    )
    if row is None or row["session_kind"] != kind:
        return None
    if kind == "web" and idle is not None and absolute is not None:
        if not session_alive(
            row["session_created_at"],
            row["last_seen_at"],
            row["db_now"],
            idle=idle,
            absolute=absolute,
        ):
            await pool.execute("DELETE FROM sessions WHERE token_hash = $1", digest)
            return None
        await pool.execute("UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1", digest)
    return Session(
        user=User.from_row(row),
        kind=kind,
        csrf_token=row["csrf_token"],
        allow_list=tuple(row["allow_list"]),
    )


async def issue_web_session(
    conn: asyncpg.Connection, user_id: UUID, absolute: timedelta
) -> tuple[str, str]:
    """A fresh session id and its synchronizer CSRF token (a new pair at every login)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (token_hash, user_id, kind, expires_at, csrf_token) "
        "VALUES ($1, $2, 'web', now() + $3::interval, $4)",
        token_digest(token),
        user_id,
        absolute,
        csrf,
    )
    return token, csrf


async def end_session(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = $1", token_digest(token))


async def login_wait(
    conn: asyncpg.Connection | asyncpg.Pool,
    subjects: dict[str, int],
    window: timedelta,
) -> float | None:
    """The longest wait any subject ("user:…", "addr:…") owes, given its failure limit."""
    rows = await conn.fetch(
        "SELECT subject, failed_at, now() AS db_now FROM login_failures "
        "WHERE subject = ANY($1::text[]) AND failed_at > now() - $2::interval",
        list(subjects),
        window,
    )
    if not rows:
        return None
    now = rows[0]["db_now"]
    waits = [
        retry_after([r["failed_at"] for r in rows if r["subject"] == subject], now, window, limit)
        for subject, limit in subjects.items()
    ]
    known = [w for w in waits if w is not None]
    return max(known) if known else None


async def record_login_failure(
    conn: asyncpg.Connection | asyncpg.Pool, subjects: list[str]
) -> None:
    await conn.executemany(
        "INSERT INTO login_failures (subject) VALUES ($1)", [(s,) for s in subjects]
    )
    # Keep the table small: nothing older than a day matters to any window.
    await conn.execute("DELETE FROM login_failures WHERE failed_at < now() - interval '1 day'")


@dataclass(frozen=True)
class LoginAttempt:
    """A password check allowed by the throttle, already counted as a failure."""

    subjects: tuple[str, ...]
    counted_at: datetime


def _login_lock(subject: str) -> int:
    """A 64-bit advisory lock key for one throttled subject."""
    digest = hashlib.sha256(f"login-throttle:{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def claim_login_attempt(
    pool: asyncpg.Pool, subjects: dict[str, int], window: timedelta
) -> LoginAttempt | float:
    """Either the seconds to wait, or an attempt counted as a failure in advance.

    Check and count happen under each subject's advisory lock, so parallel requests (in
    any gateway process) cannot all pass the check before one of them records; counting
    first means no connection or lock is held while the password is hashed."""
    async with pool.acquire() as conn, conn.transaction():
        # Always in the same order, so two requests sharing a subject cannot deadlock.
        for key in sorted({_login_lock(s) for s in subjects}):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", key)
        wait = await login_wait(conn, subjects, window)
        if wait is not None:
            return wait
        await record_login_failure(conn, list(subjects))
        counted_at: datetime = await conn.fetchval("SELECT now()")
    return LoginAttempt(tuple(subjects), counted_at)


async def forgive_login_attempt(pool: asyncpg.Pool, attempt: LoginAttempt, account: str) -> None:
    """A successful login: the account's failures are forgotten, and the other subjects
    (the address) lose only the failure this attempt counted in advance."""
    async with pool.acquire() as conn, conn.transaction():
        await clear_login_failures(conn, account)
        for subject in attempt.subjects:
            if subject != account:
                await conn.execute(
                    "DELETE FROM login_failures WHERE ctid = (SELECT ctid FROM login_failures "
                    "WHERE subject = $1 AND failed_at = $2 LIMIT 1)",
                    subject,
                    attempt.counted_at,
                )


async def clear_login_failures(conn: asyncpg.Connection | asyncpg.Pool, subject: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE subject = $1", subject)


async def user_by_username(
    conn: asyncpg.Connection | asyncpg.Pool, username: str
) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM users WHERE lower(username) = lower($1)", username)


async def organization_allow_list(
    conn: asyncpg.Connection | asyncpg.Pool, organization_id: UUID | None
) -> tuple[Network, ...]:
    allow_list = await conn.fetchval(
        "SELECT ip_allow_list FROM organizations WHERE id = $1", organization_id
    )
    return tuple(allow_list or ())
