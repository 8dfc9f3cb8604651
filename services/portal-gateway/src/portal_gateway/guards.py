"""Guards: small functions on controllers, routers and route handlers that let a request
in or raise. A sign-in guard on the outer layer finds the principal (and checks its
allow-list and CSRF token); the role guards inside it read that principal.

    API controllers:  guards=[signed_in]         then staff_only, admins_only, …
    page routers:     guards=[signed_in_web]     the same role guards
"""

from __future__ import annotations

from typing import Any

from desk_contracts.enums import Role
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from .deps import current_user, principal_of
from .web.session import web_user

Connection = ASGIConnection[Any, Any, Any, Any]

OPS_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})


async def signed_in(connection: Connection, _: BaseRouteHandler) -> None:
    """The API's sign-in: a bearer token or the web cookie, else 401."""
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]
    await current_user(request)


async def signed_in_web(connection: Connection, _: BaseRouteHandler) -> None:
    """The portal's sign-in: the web cookie, else the login page."""
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]
    await web_user(request)


async def signed_in_page(connection: Connection, _: BaseRouteHandler) -> None:
    """A page scripts may also fetch: a bearer token as the API takes it; otherwise the
    web cookie, else the login page (a browser never gets a bare 401)."""
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]
    if request.headers.get("authorization"):
        await current_user(request)
    else:
        await web_user(request)


def staff_only(connection: Connection, _: BaseRouteHandler) -> None:
    """Staff-only routes answer 403 to clients (they know such routes exist)."""
    if not principal_of(connection).role.is_staff:
        raise PermissionDeniedException("staff only")


def admins_only(connection: Connection, _: BaseRouteHandler) -> None:
    if principal_of(connection).role is not Role.ADMIN:
        raise PermissionDeniedException("admins only")


def operators_only(connection: Connection, _: BaseRouteHandler) -> None:
    if principal_of(connection).role not in OPS_ROLES:
        raise PermissionDeniedException("admins and operators only")


def json_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the routes that take a password without any session (login CSRF).

    Litestar reads a JSON `data:` from a body of any declared type, and another site may
    post text/plain (or a form) here without a CORS preflight: a browser tricked into
    logging in with the attacker's password would work in the attacker's account. A
    JSON body is one such a page cannot send, so only that is accepted. Routes behind a
    session are covered by `check_csrf`; the portal's /login form has its own token."""
    declared = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared != "application/json":
        raise HTTPException(
            status_code=415,
            detail="send the body as application/json",
            extra=[{"key": "content-type", "message": "must be application/json"}],
        )
