"""The portal's door: the entry redirect, the login form (its own CSRF cookie, the same
throttled check as the API's login), logout and the language switch."""

from __future__ import annotations

import secrets
from typing import Any

from desk_runtime.logging import get_logger
from litestar import Request, Response, get, post
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect

from ...accounts import end_session
from ...deps import CSRF_FIELD, authenticate, client_address, csrf_cookie, gateway, session_cookie
from ...guards import signed_in_web
from ...security import csrf_matches
from ...web.forms import words
from ...web.render import LANG_COOKIE, render
from ...web.views import safe_next
from .schemas import TokenRequest
from .service import TooManyAttempts, check_credentials, open_web_session, session_cookies

log = get_logger(__name__)

LOGIN_CSRF_COOKIE = "desk_login_csrf"


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    session = await authenticate(request)
    return Redirect("/incidents" if session is not None else "/login", status_code=303)


def _login_page(
    request: Request[Any, Any, Any],
    *,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response[str]:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        error=error,
        username=username,
        login_csrf=token,
        next=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, path="/login", httponly=True, samesite="strict", max_age=3600
    )
    return response


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _login_page(request)


@post("/login", include_in_schema=False)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    """The same throttled check as the API's login, then a fresh session cookie."""
    form = await request.form()
    t = words(request)
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get(CSRF_FIELD) or "")):
        return _login_page(
            request,
            error=t("The form has expired; please try again."),
            username=username,
            status_code=403,
        )
    if not username.strip() or not password:
        return _login_page(
            request, error=t("Wrong username or password."), username=username, status_code=401
        )
    service = gateway(request)
    try:
        user = await check_credentials(
            service,
            client_address(request),
            TokenRequest(username=username[:150], password=password[:1024]),
        )
    except TooManyAttempts as error:
        seconds = (error.headers or {}).get("Retry-After", "60")
        message = t("Too many failed attempts. Try again in {seconds} s.", seconds=seconds)
        return _login_page(request, error=message, username=username, status_code=429)
    except NotAuthorizedException:
        return _login_page(
            request, error=t("Wrong username or password."), username=username, status_code=401
        )
    except PermissionDeniedException:
        message = t(
            "Your organization does not allow access from this address ({address}).",
            address=client_address(request) or "?",
        )
        return _login_page(request, error=message, username=username, status_code=403)
    settings = service.settings
    session = await open_web_session(service, user, request.cookies.get(session_cookie(settings)))
    response = Redirect(
        safe_next(str(form.get("next") or "")),
        status_code=303,
        cookies=session_cookies(settings, session),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    log.info("portal_login", user_id=str(user.id))
    return response


@post("/logout", include_in_schema=False, guards=[signed_in_web])
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    service = gateway(request)
    settings = service.settings
    await end_session(service.pool, request.cookies.get(session_cookie(settings), ""))
    response = Redirect("/login", status_code=303)
    response.delete_cookie(session_cookie(settings), path="/")
    response.delete_cookie(csrf_cookie(settings), path="/")
    return response


@get("/language/{code:str}", include_in_schema=False)
async def switch_language(request: Request[Any, Any, Any], code: str) -> Redirect:
    response = Redirect(safe_next(request.query_params.get("next")), status_code=303)
    if code in ("en", "ru"):
        response.set_cookie(LANG_COOKIE, code, path="/", samesite="lax", max_age=365 * 24 * 3600)
    return response


PAGES = [home, login_form, login, logout, switch_language]
