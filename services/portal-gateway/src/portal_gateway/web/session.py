"""Who reads a page: the web session behind the cookie, or a trip to the login page."""

from __future__ import annotations

from typing import Any

from litestar import Request

from ..accounts import User
from ..deps import authenticate, check_address, check_csrf
from .render import desk_zone
from .zones import default_zone


class LoginRequired(Exception):
    """No live session: the reader is sent to the login page and back afterwards."""


async def web_user(request: Request[Any, Any, Any]) -> User:
    """The cookie session's user; changes must carry the session's CSRF token (a form
    field), and a client's organization allow-list binds every page."""
    session = await authenticate(request)
    if session is None or session.kind != "web":
        raise LoginRequired
    check_address(request, session)
    await check_csrf(request, session)
    request.state.session = session
    # Pages quote times in the reader's zone; without a choice, their organization's.
    request.state.default_zone = await default_zone(
        request.app.state.rpc, session.user, desk_zone(request)
    )
    return session.user
