"""Tokens for the API, session cookies for the web, and the principal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from desk_runtime.service import Service
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException

from ..accounts import (
    TOKEN_LIFETIME,
    LoginAttempt,
    User,
    claim_login_attempt,
    end_session,
    forgive_login_attempt,
    issue_token,
    issue_web_session,
    user_by_username,
    verify_password,
)
from ..schemas import LoginResponse, Me, TokenRequest, TokenResponse
from ..security import address_allowed
from .deps import (
    authenticate,
    check_csrf,
    client_address,
    csrf_cookie,
    current_user,
    json_only,
    session_cookie,
)

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
    )


async def _check_credentials(request: Request[Any, Any, Any], data: TokenRequest) -> User:
    """Throttled password check, then the organization's allow-list (after the password,
    so a stranger learns nothing about who is restricted where)."""
    service: Service = request.app.state.service
    settings = service.settings
    window = timedelta(seconds=settings.login_window_seconds)
    account = f"user:{data.username.strip().lower()}"
    address = f"addr:{client_address(request)}"
    limits = {
        account: settings.login_max_failures,
        address: settings.login_max_failures * ADDRESS_LIMIT_FACTOR,
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
        allow_list = await service.pool.fetchval(
            "SELECT ip_allow_list FROM organizations WHERE id = $1", user.organization_id
        )
        if not address_allowed(client_address(request), tuple(allow_list or ())):
            raise PermissionDeniedException(
                "your organization does not allow access from this address"
            )
    return user


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", operation_id="issueToken", status_code=200, guards=[json_only])
    async def token(self, request: Request[Any, Any, Any], data: TokenRequest) -> TokenResponse:
        """Exchange a username and password for a bearer token (failures are throttled)."""
        service: Service = request.app.state.service
        user = await _check_credentials(request, data)
        async with service.pool.acquire() as conn:
            token = await issue_token(conn, user.id)
        return TokenResponse(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))

    @post("/login", operation_id="login", status_code=200, guards=[json_only])
    async def login(
        self, request: Request[Any, Any, Any], data: TokenRequest
    ) -> Response[LoginResponse]:
        """Open a web session: a fresh HttpOnly cookie at every login (any session the
        browser still carried is ended) and the CSRF token to echo on changes."""
        service: Service = request.app.state.service
        settings = service.settings
        user = await _check_credentials(request, data)
        absolute = timedelta(hours=settings.session_absolute_hours)
        async with service.pool.acquire() as conn, conn.transaction():
            previous = request.cookies.get(session_cookie(settings))
            if previous:
                await end_session(conn, previous)
            token, csrf = await issue_web_session(conn, user.id, absolute)
        max_age = int(absolute.total_seconds())
        cookies = [
            Cookie(
                key=session_cookie(settings),
                value=token,
                path="/",
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
                max_age=max_age,
            ),
            # Readable by the page's scripts so they can echo it (double submit); the
            # server still compares with the copy it keeps for the session.
            Cookie(
                key=csrf_cookie(settings),
                value=csrf,
                path="/",
                httponly=False,
                secure=settings.secure_cookies,
                samesite="strict",
                max_age=max_age,
            ),
        ]
        return Response(
            LoginResponse(
                csrf_token=csrf,
                idle_timeout=int(settings.session_idle_minutes * 60),
                expires_in=max_age,
                user=me_of(user),
            ),
            cookies=cookies,
        )

    @post("/logout", operation_id="logout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        """End the session (or revoke the bearer token) on the server and drop cookies."""
        service: Service = request.app.state.service
        settings = service.settings
        session = await authenticate(request)
        if session is not None:
            await check_csrf(request, session)
            header = request.headers.get("authorization", "")
            secret = (
                header.partition(" ")[2].strip()
                if header
                else request.cookies.get(session_cookie(settings), "")
            )
            try:
                await end_session(service.pool, secret)
            except asyncpg.PostgresError as error:  # pragma: no cover - database down
                raise HTTPException(status_code=503, detail="try again") from error
        return Response(
            None,
            status_code=204,
            cookies=[
                Cookie(
                    key=session_cookie(settings),
                    value="",
                    path="/",
                    max_age=0,
                    httponly=True,
                    secure=settings.secure_cookies,
                    samesite="lax",
                ),
                Cookie(
                    key=csrf_cookie(settings),
                    value="",
                    path="/",
                    max_age=0,
                    secure=settings.secure_cookies,
                    samesite="strict",
                ),
            ],
        )


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]
    dependencies = {"user": Provide(current_user)}

    @get("/", operation_id="getMe")
    async def me(self, user: User) -> Me:
        """The authenticated principal."""
        return me_of(user)
