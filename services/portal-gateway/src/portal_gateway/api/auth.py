"""Tokens and the principal."""

from __future__ import annotations

from typing import Any

from desk_runtime.service import Service
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException

from ..accounts import TOKEN_LIFETIME, User, issue_token, user_by_username, verify_password
from ..schemas import Me, TokenRequest, TokenResponse
from .deps import current_user


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", operation_id="issueToken", status_code=200)
    async def token(self, request: Request[Any, Any, Any], data: TokenRequest) -> TokenResponse:
        """Exchange a username and password for a bearer token."""
        service: Service = request.app.state.service
        row = await user_by_username(service.pool, data.username)
        if not verify_password(row["password_hash"] if row else None, data.password) or (
            row is not None and not row["active"]
        ):
            raise NotAuthorizedException("wrong username or password")
        assert row is not None
        async with service.pool.acquire() as conn:
            token = await issue_token(conn, row["id"])
        return TokenResponse(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]
    dependencies = {"user": Provide(current_user)}

    @get("/", operation_id="getMe")
    async def me(self, user: User) -> Me:
        """The authenticated principal."""
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
