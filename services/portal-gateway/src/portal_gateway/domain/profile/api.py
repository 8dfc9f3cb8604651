"""Who you are, and your own profile and password, over the API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post

from ...accounts import User
from ...deps import gateway, session_cookie
from ...guards import signed_in
from ..auth.schemas import Me
from ..auth.service import me_of
from . import service
from .schemas import PasswordChange, ProfileChange


def current_token(request: Request[Any, Any, Any]) -> str | None:
    """The bearer token or web session cookie this request came with."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(session_cookie(gateway(request).settings))


class ProfileController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]
    guards = [signed_in]

    @get("/", operation_id="getMe")
    async def me(self, user: User) -> Me:
        """The authenticated principal."""
        return me_of(user)

    @patch("/", operation_id="changeMe")
    async def change(self, request: Request[Any, Any, Any], data: ProfileChange, user: User) -> Me:
        """Change your own name, e-mail, phone, language or time zone (null removes e-mail
        or phone; a null time zone reads times in the organization's or the desk's)."""
        return me_of(await service.change_profile(gateway(request), user, data))

    @post("/password", operation_id="changeMyPassword", status_code=204)
    async def password(
        self, request: Request[Any, Any, Any], data: PasswordChange, user: User
    ) -> None:
        """Change your password (the current one is asked); your other sessions end."""
        await service.change_password(gateway(request), user, data, current_token(request))
