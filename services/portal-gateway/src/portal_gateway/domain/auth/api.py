"""Tokens for the API, session cookies for the web, and the principal."""

from __future__ import annotations

from typing import Any

import asyncpg
from desk_runtime.service import Service
from litestar import Controller, Request, Response, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException

from ...accounts import TOKEN_LIFETIME, end_session, issue_token
from ...deps import authenticate, check_csrf, client_address, csrf_cookie, session_cookie
from ...guards import json_only
from . import reset
from .schemas import LoginResponse, TokenRequest, TokenResponse
from .service import check_credentials, me_of, open_web_session, session_cookies


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", operation_id="issueToken", status_code=200, guards=[json_only])
    async def token(self, request: Request[Any, Any, Any], data: TokenRequest) -> TokenResponse:
        """Exchange a username and password for a bearer token (failures are throttled)."""
        service: Service = request.app.state.service
        user = await check_credentials(service, client_address(request), data)
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
        user = await check_credentials(service, client_address(request), data)
        session = await open_web_session(
            service, user, request.cookies.get(session_cookie(settings))
        )
        return Response(
            LoginResponse(
                csrf_token=session.csrf,
                idle_timeout=int(settings.session_idle_minutes * 60),
                expires_in=session.max_age,
                user=me_of(user),
            ),
            cookies=session_cookies(settings, session),
        )

    @post("/password-reset", operation_id="askPasswordReset", status_code=202, guards=[json_only])
    async def ask_password_reset(
        self, request: Request[Any, Any, Any], data: reset.PasswordResetRequest
    ) -> reset.PasswordResetAsked:
        """Mail a link to set a new password to the account with this login or e-mail.
        The answer is the same whether or not such an account exists; requests are
        throttled per login or e-mail and per address (429 with Retry-After)."""
        await reset.request_reset(request.app.state.service, client_address(request), data)
        return reset.PasswordResetAsked(detail=reset.ASKED)

    @post(
        "/password-reset/confirm",
        operation_id="confirmPasswordReset",
        status_code=204,
        guards=[json_only],
    )
    async def confirm_password_reset(
        self, request: Request[Any, Any, Any], data: reset.PasswordResetConfirm
    ) -> None:
        """Set the new password with the mailed token: once, before the link expires
        (else 422 naming `token`); every session of the account ends."""
        await reset.reset_password(request.app.state.service, data)

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
