"""Signing in and out, for the API and the portal alike: the throttled password check,
the organization's allow-list, fresh web sessions and their cookies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException

from ...accounts import (
    LoginAttempt,
    User,
    claim_login_attempt,
    end_session,
    forgive_login_attempt,
    issue_web_session,
    organization_allow_list,
    user_by_username,
    verify_password,
)
from ...deps import csrf_cookie, session_cookie
from ...security import address_allowed
from .schemas import Me, TokenRequest

# A shared office address may hide many people: it gets more tries than one account.
ADDRESS_LIMIT_FACTOR = 4


class TooManyAttempts(HTTPException):
    status_code = 429


def me_of(user: User) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        phone=user.phone,
        locale=user.locale,
        role=user.role,
        organization_id=user.organization_id,
        scope=user.scope,
        time_zone=user.time_zone,
    )


async def check_credentials(service: Service, address: str | None, data: TokenRequest) -> User:
    """Throttled password check, then the organization's allow-list (after the password,
    so a stranger learns nothing about who is restricted where)."""
    settings = service.settings
    window = timedelta(seconds=settings.gateway.login_window_seconds)
    # Per account and address, and per address: wrong passwords typed elsewhere never
    # lock the account's owner out, and one address cannot try account after account.
    account = f"user:{data.username.strip().lower()}@{address}"
    limits = {
        account: settings.gateway.login_max_failures,
        f"addr:{address}": settings.gateway.login_max_failures * ADDRESS_LIMIT_FACTOR,
    }
    attempt = await claim_login_attempt(service.pool, limits, window)
    if not isinstance(attempt, LoginAttempt):
        raise TooManyAttempts(
            "too many failed logins; try again later",
            headers={"Retry-After": str(max(1, round(attempt)))},
        )
    # From here the attempt counts as a failure unless forgiven, also if this fails.
    row = await user_by_username(service.pool, data.username.strip())
    if not verify_password(row["password_hash"] if row else None, data.password) or (
        row is None or not row["active"]
    ):
        raise NotAuthorizedException("wrong username or password")
    await forgive_login_attempt(service.pool, attempt, account)
    user = User.from_row(row)
    if not user.role.is_staff:
        allow_list = await organization_allow_list(service.pool, user.organization_id)
        if not address_allowed(address, allow_list):
            raise PermissionDeniedException(
                "your organization does not allow access from this address"
            )
    return user


@dataclass(frozen=True)
class WebSession:
    token: str
    csrf: str
    max_age: int


async def open_web_session(service: Service, user: User, previous: str | None) -> WebSession:
    """A fresh session at every login; any session the browser still carried is ended."""
    absolute = timedelta(hours=service.settings.gateway.session_absolute_hours)
    async with service.pool.acquire() as conn, conn.transaction():
        if previous:
            await end_session(conn, previous)
        token, csrf = await issue_web_session(conn, user.id, absolute)
    return WebSession(token, csrf, int(absolute.total_seconds()))


def session_cookies(settings: DeskSettings, session: WebSession) -> list[Cookie]:
    return [
        Cookie(
            key=session_cookie(settings),
            value=session.token,
            path="/",
            httponly=True,
            secure=settings.gateway.secure_cookies,
            samesite="lax",
            max_age=session.max_age,
        ),
        # Readable by the page's scripts so they can echo it (double submit); the
        # server still compares with the copy it keeps for the session.
        Cookie(
            key=csrf_cookie(settings),
            value=session.csrf,
            path="/",
            httponly=False,
            secure=settings.gateway.secure_cookies,
            samesite="strict",
            max_age=session.max_age,
        ),
    ]
