"""The profile page: one's own name, contact points, language, password and which
notifications arrive by which channel."""

from __future__ import annotations

from typing import Any

from desk_contracts.enums import Locale
from desk_runtime.local_time import zone_names
from litestar import Request, Response, get, post
from litestar.response import Redirect
from pydantic import ValidationError

from ...deps import gateway, principal, rpc
from ...web.forms import back, field_errors, form_values, words
from ...web.render import render
from ..notifications import service as notifications
from ..notifications.schemas import PreferenceChanges
from . import service
from .api import current_token
from .schemas import PasswordChange, ProfileChange

TARGET = "/profile"


async def _page(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    user = principal(request)
    choices = await notifications.preferences(rpc(request), user)
    return render(
        request,
        "profile.html",
        status_code=status_code,
        user=user,
        values=values
        or {
            "display_name": user.display_name,
            "email": user.email or "",
            "phone": user.phone or "",
            "locale": user.locale.value,
            "time_zone": user.time_zone or "",
        },
        errors=errors or {},
        locales=list(Locale),
        time_zones=zone_names(),
        preferences=choices.preferences,
        kinds=sorted({p.event_kind for p in choices.preferences}, key=_kind_order(choices)),
    )


def _kind_order(choices: Any) -> Any:
    order = {p.event_kind: i for i, p in enumerate(choices.preferences)}
    return lambda kind: order[kind]


@get("/profile", include_in_schema=False)
async def profile(request: Request[Any, Any, Any]) -> Response[str]:
    return await _page(request)


@post("/profile", include_in_schema=False)
async def change_profile(request: Request[Any, Any, Any]) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
    names = ("display_name", "email", "phone", "locale", "time_zone")
    values = {k: form.get(k, "").strip() for k in names}
    data = {k: (v or None) for k, v in values.items()}
    errors = field_errors(ProfileChange, data, t)
    if errors:
        return await _page(request, errors=errors, values=values, status_code=422)
    await service.change_profile(gateway(request), user, ProfileChange.model_validate(data))
    return back(TARGET, t("Your profile is saved."))


@post("/profile/password", include_in_schema=False)
async def change_password(request: Request[Any, Any, Any]) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
    data = {k: form.get(k, "") for k in ("current_password", "new_password")}
    errors = field_errors(PasswordChange, data, t)
    if not errors and form.get("new_password") != form.get("repeat_password"):
        errors = {"repeat_password": t("The two new passwords differ.")}
    if errors:
        return await _page(request, errors=errors, status_code=422)
    try:
        await service.change_password(
            gateway(request), user, PasswordChange.model_validate(data), current_token(request)
        )
    except service.WrongPassword:
        errors = {"current_password": t("This is not your current password.")}
        return await _page(request, errors=errors, status_code=422)
    return back(TARGET, t("Your password is changed; your other sessions are signed out."))


@post("/profile/notifications", include_in_schema=False)
async def change_notifications(request: Request[Any, Any, Any]) -> Redirect:
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    current = await notifications.preferences(rpc(request), user)
    wanted = {str(v) for k, v in form.multi_items() if k == "on"}
    try:
        changes = PreferenceChanges.model_validate(
            {
                "preferences": [
                    {
                        "event_kind": p.event_kind,
                        "channel": p.channel,
                        "enabled": f"{p.event_kind}:{p.channel}" in wanted,
                    }
                    for p in current.preferences
                ]
            }
        )
    except ValidationError:
        return back(TARGET, t("Nothing to change."), error=True)
    await notifications.change_preferences(rpc(request), user, changes)
    return back(TARGET, t("Your notification choices are saved."))


PAGES = [profile, change_profile, change_password, change_notifications]
