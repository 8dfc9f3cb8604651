"""Changing one's own profile and password. The rest of the desk hears of it through
UserUpserted (notify's contact points and language, routing's names)."""

from __future__ import annotations

from desk_runtime.service import Service
from litestar.exceptions import ValidationException

from ...accounts import User, hash_password, token_digest, verify_password
from ..auth.reset import void_links
from .schemas import PasswordChange, ProfileChange


async def change_profile(service: Service, user: User, data: ProfileChange) -> User:
    given = data.model_fields_set
    async with service.transaction() as uow:
        row = await uow.conn.fetchrow(
            """
            UPDATE users SET display_name = coalesce($2, display_name),
                email = CASE WHEN $3 THEN $4 ELSE email END,
                phone = CASE WHEN $5 THEN $6 ELSE phone END,
                locale = coalesce($7, locale),
                time_zone = CASE WHEN $8 THEN $9 ELSE time_zone END, updated_at = now()
            WHERE id = $1 RETURNING *
            """,
            user.id,
            data.display_name,
            "email" in given,
            data.email,
            "phone" in given,
            data.phone,
            data.locale.value if data.locale else None,
            "time_zone" in given,
            data.time_zone,
        )
        changed = User.from_row(row)
        await uow.publish(changed.upserted_event())
    return changed


class WrongPassword(ValidationException):
    """The current password did not match: a 422 naming the field."""


async def change_password(
    service: Service, user: User, data: PasswordChange, keep_token: str | None
) -> None:
    """The new password holds from now on; every other session of the user ends (the
    one that asked stays signed in), and so do the password reset links mailed before."""
    async with service.transaction() as uow:
        stored = await uow.conn.fetchval(
            "SELECT password_hash FROM users WHERE id = $1 FOR UPDATE", user.id
        )
        if not verify_password(stored, data.current_password):
            raise WrongPassword(
                detail="invalid request",
                extra=[{"key": "current_password", "message": "is not your current password"}],
            )
        await uow.conn.execute(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
            user.id,
            hash_password(data.new_password),
        )
        await void_links(uow.conn, user.id)
        await uow.conn.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2",
            user.id,
            token_digest(keep_token) if keep_token else None,
        )
