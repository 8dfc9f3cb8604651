"""Who is asking and how: the session behind a request (bearer token or web cookie), its
allow-list and CSRF checks, the `user` and `client` dependencies, paging parameters and
the 422 naming one field, shared by every controller and page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from desk_contracts.messages import MAX_OFFSET
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.params import Parameter

from .accounts import Session, User, session_for_token
from .security import address_allowed, csrf_matches

# Paging parameters of every list route.
Limit = Annotated[int, Parameter(ge=1, le=500, description="page size")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="rows to skip")]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def session_cookie(settings: DeskSettings) -> str:
    """`__Host-` pins the cookie to this host and path / and requires Secure (TLS)."""
    return "__Host-desk_session" if settings.gateway.secure_cookies else "desk_session"


def csrf_cookie(settings: DeskSettings) -> str:
    return "__Host-desk_csrf" if settings.gateway.secure_cookies else "desk_csrf"


def client_address(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def authenticate(request: Request[Any, Any, Any]) -> Session | None:
    """The session behind the bearer header, else behind the web cookie."""
    service: Service = request.app.state.service
    settings = service.settings
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await session_for_token(service.pool, token.strip(), "bearer")
    cookie = request.cookies.get(session_cookie(settings))
    if not cookie:
        return None
    return await session_for_token(
        service.pool,
        cookie,
        "web",
        idle=timedelta(minutes=settings.gateway.session_idle_minutes),
        absolute=timedelta(hours=settings.gateway.session_absolute_hours),
    )


def check_address(request: Request[Any, Any, Any], session: Session) -> None:
    """An organization's allow-list binds its clients' every request, login included."""
    if session.user.role.is_staff:
        return
    if not address_allowed(client_address(request), session.allow_list):
        raise PermissionDeniedException("your organization does not allow access from this address")


# Route option of the few handlers that read a multipart body themselves (streaming its
# files to the blob store) and check the CSRF field in it: only they may receive a
# cookie-authenticated multipart body without the header.
READS_MULTIPART = "reads_multipart_csrf"


def media_type(request: Request[Any, Any, Any]) -> str:
    """The declared body type, normalized the way Litestar's own form parser sees it."""
    return request.content_type[0]


def is_multipart(request: Request[Any, Any, Any]) -> bool:
    return media_type(request) == "multipart/form-data"


async def check_csrf(request: Request[Any, Any, Any], session: Session) -> None:
    """Cookie-authenticated changes must echo the session's CSRF token (header, or a
    form field); bearer tokens are not sent by browsers on their own, so they are exempt.

    A multipart body is left to its reader (see `csrf_pending`) only on routes marked
    `READS_MULTIPART`; anywhere else Litestar would happily parse a multipart-labelled
    body as JSON or as a form without anyone looking for the token, so it is refused."""
    if session.kind != "web" or request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and media_type(request) == "application/x-www-form-urlencoded":
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if (
        presented is None
        and is_multipart(request)
        and request.route_handler.opt.get(READS_MULTIPART)
    ):
        request.state.csrf_pending = session.csrf_token
        return
    if not csrf_matches(session.csrf_token, presented):
        raise PermissionDeniedException("missing or wrong CSRF token")


def check_pending_csrf(request: Request[Any, Any, Any], presented: str | None) -> None:
    """The multipart reader's half of `check_csrf`: the form's token, when the header
    did not carry one."""
    pending = getattr(request.state, "csrf_pending", None)
    if pending is not None and not csrf_matches(pending, presented):
        raise PermissionDeniedException("missing or wrong CSRF token")


def _no_credentials() -> NotAuthorizedException:
    return NotAuthorizedException(
        "missing, invalid or expired credentials", headers={"WWW-Authenticate": "Bearer"}
    )


async def current_user(request: Request[Any, Any, Any]) -> User:
    """The API's principal (bearer token or web cookie); 401 without one. The session
    is kept on the request for the guards and the `user` dependency."""
    session = await authenticate(request)
    if session is None:
        raise _no_credentials()
    check_address(request, session)
    await check_csrf(request, session)
    request.state.session = session
    return session.user


def principal(request: Request[Any, Any, Any]) -> User:
    """The `user` dependency: whom the route's sign-in guard let in."""
    return principal_of(request)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    session: Session | None = getattr(connection.state, "session", None)
    if session is None:  # a route whose layers carry no sign-in guard: nobody is let in
        raise _no_credentials()
    return session.user


def gateway(request: Request[Any, Any, Any]) -> Service:
    service: Service = request.app.state.service
    return service


def rpc(request: Request[Any, Any, Any]) -> RpcClient:
    client: RpcClient = request.app.state.rpc
    return client


def field_error(field: str, message: str) -> ValidationException:
    """A 422 naming one field, in the public error shape."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )
