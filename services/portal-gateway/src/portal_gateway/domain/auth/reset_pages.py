"""The portal's "forgot password" pages: ask for a link (the same answer whether or not
the account exists), then choose the new password from the mailed link. Without a
session, so each form carries its own CSRF cookie, as the login form does."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from ...deps import CSRF_FIELD, client_address, gateway
from ...security import csrf_matches
from ...web.forms import back, field_errors, form_values, words
from ...web.render import render
from . import reset
from .service import TooManyAttempts

RESET_CSRF_COOKIE = "desk_reset_csrf"
PATH = "/password-reset"

# What a link that no longer works says, in the reader's words.
LINK_WORDS = {
    reset.LinkState.USED: "This link has already been used. Ask for a new one if you need it.",
    reset.LinkState.EXPIRED: "This link has expired. Ask for a new one.",
    reset.LinkState.UNKNOWN: "This link is not valid. Ask for a new one.",
}


def _page(
    request: Request[Any, Any, Any], template_values: dict[str, Any], status_code: int = 200
) -> Response[str]:
    token = request.cookies.get(RESET_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "password_reset.html",
        status_code=status_code,
        door_csrf=token,
        values=template_values.pop("values", {}),
        errors=template_values.pop("errors", {}),
        minutes=round(gateway(request).settings.password_reset_minutes),
        **template_values,
    )
    response.set_cookie(
        RESET_CSRF_COOKIE, token, path=PATH, httponly=True, samesite="strict", max_age=3600
    )
    return response


def _csrf_ok(request: Request[Any, Any, Any], form: dict[str, str]) -> bool:
    return csrf_matches(request.cookies.get(RESET_CSRF_COOKIE), form.get(CSRF_FIELD, ""))


@get(PATH, include_in_schema=False)
async def ask_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _page(request, {"step": "ask"})


@post(PATH, include_in_schema=False)
async def ask(request: Request[Any, Any, Any]) -> Response[str]:
    t = words(request)
    form = await form_values(request)
    values = {"login": form.get("login", "").strip()}
    if not _csrf_ok(request, form):
        errors = {"form": t("The form has expired; please try again.")}
        return _page(request, {"step": "ask", "values": values, "errors": errors}, 403)
    errors = field_errors(reset.PasswordResetRequest, values, t)
    if errors:
        return _page(request, {"step": "ask", "values": values, "errors": errors}, 422)
    try:
        await reset.request_reset(
            gateway(request), client_address(request), reset.PasswordResetRequest(**values)
        )
    except TooManyAttempts as error:
        seconds = (error.headers or {}).get("Retry-After", "60")
        message = t("Too many requests. Try again in {seconds} s.", seconds=seconds)
        return _page(request, {"step": "ask", "values": values, "errors": {"form": message}}, 429)
    return _page(request, {"step": "asked"})


@get(PATH + "/{token:str}", include_in_schema=False)
async def choose_form(request: Request[Any, Any, Any], token: str) -> Response[str]:
    state = await reset.check_link(gateway(request), token)
    if state is not reset.LinkState.VALID:
        return _page(request, {"step": "refused", "problem": LINK_WORDS[state]}, 410)
    return _page(request, {"step": "choose", "token": token})


@post(PATH + "/{token:str}", include_in_schema=False)
async def choose(request: Request[Any, Any, Any], token: str) -> Response[Any]:
    t = words(request)
    form = await form_values(request)
    page = {"step": "choose", "token": token}
    if not _csrf_ok(request, form):
        return _page(
            request, {**page, "errors": {"form": t("The form has expired; please try again.")}}, 403
        )
    data = {"token": token, "new_password": form.get("new_password", "")}
    errors = field_errors(reset.PasswordResetConfirm, data, t)
    if not errors and data["new_password"] != form.get("repeat_password"):
        errors = {"repeat_password": t("The two new passwords differ.")}
    if errors:
        return _page(request, {**page, "errors": errors}, 422)
    try:
        await reset.reset_password(gateway(request), reset.PasswordResetConfirm(**data))
    except reset.LinkRefused as refused:
        return _page(request, {"step": "refused", "problem": LINK_WORDS[refused.state]}, 410)
    response: Redirect = back("/login", t("Your new password is set; sign in with it."))
    response.delete_cookie(RESET_CSRF_COOKIE, path=PATH)
    return response


PAGES = [ask_form, ask, choose_form, choose]
