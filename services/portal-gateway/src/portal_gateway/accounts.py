"""Passwords, tokens and the principal behind a request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from desk_contracts.enums import Locale, Role, Scope
from desk_contracts.messages import Principal, UserUpserted

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
PASSWORDS = PasswordHasher(memory_cost=19 * 1024, time_cost=2, parallelism=1)
# Verifying against this when the user does not exist keeps timing uniform.
_DUMMY_HASH = PASSWORDS.hash("not-a-real-password")

TOKEN_LIFETIME = timedelta(hours=12)


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


async def user_for_token(pool: asyncpg.Pool, token: str) -> User | None:
    row = await pool.fetchrow(
        """
        SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active
        """,
        token_digest(token),
    )
    return User.from_row(row) if row else None


async def user_by_username(
    conn: asyncpg.Connection | asyncpg.Pool, username: str
) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM users WHERE lower(username) = lower($1)", username)
