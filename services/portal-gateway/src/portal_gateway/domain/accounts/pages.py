"""The admin pages of organizations and users: lists, new and edit forms. They call the
same account rules as the JSON API; a form that fails a check is shown again with a
message next to each field it names, and nothing is written."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from desk_contracts.enums import Locale, Role, Scope
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException

from ...accounts import User
from ...deps import gateway, principal, rpc
from ...web.admin_forms import Errors, validate_form
from ...web.forms import back, form_values, page_number, parse_uuid, refusable, refusal, words
from ...web.render import render
from ..sla.service import all_contracts
from .schemas import NewOrganization, NewUser, OrganizationChange, UserChange
from .service import (
    active_staff,
    change_organization,
    change_user,
    insert_organization,
    insert_user,
    organization_by_id,
    organizations_page,
    user_by_id,
    users_page,
)

LIST_SIZE = 50


@get("/organizations", include_in_schema=False)
async def organization_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    page = page_number(request)
    listing = await organizations_page(
        gateway(request).pool, limit=LIST_SIZE, offset=(page - 1) * LIST_SIZE
    )
    return render(
        request,
        "admin_organizations.html",
        user=user,
        listing=listing,
        page=page,
        pages=max(1, -(-listing.total // LIST_SIZE)),
        staff={s["id"]: s["name"] for s in await active_staff(gateway(request).pool)},
        contracts={str(c.contract_id): c.name for c in await all_contracts(rpc(request))},
    )


async def _organization_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    organization_id: UUID | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    return render(
        request,
        "admin_organization.html",
        status_code=status_code,
        user=user,
        organization_id=organization_id,
        values=values,
        errors=errors or {},
        staff_options=[(s["id"], s["name"]) for s in await active_staff(gateway(request).pool)],
        contract_options=[
            (str(c.contract_id), f"{c.name} (v{c.version})")
            for c in await all_contracts(rpc(request))
        ],
        locale_options=LOCALE_OPTIONS,
    )


def _listed(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,;]+", text) if n]


def _organization_data(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"].strip(),
        "account_manager_id": values["account_manager_id"] or None,
        "contract_id": values["contract_id"] or None,
        "ip_allow_list": _listed(values["ip_allow_list"]),
        "mail_domains": _listed(values["mail_domains"]),
        "locale": values["locale"] or Locale.EN.value,
    }


ORGANIZATION_FIELDS = (
    "name",
    "account_manager_id",
    "contract_id",
    "ip_allow_list",
    "mail_domains",
    "locale",
)
LOCALE_OPTIONS = [(Locale.EN.value, "English"), (Locale.RU.value, "Русский")]


@get("/organizations/new", include_in_schema=False)
async def organization_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    values = dict.fromkeys(ORGANIZATION_FIELDS, "")
    values["locale"] = Locale.EN.value
    return await _organization_form(request, user, organization_id=None, values=values)


@get("/organizations/{organization_id:uuid}", include_in_schema=False)
async def organization_edit_form(
    request: Request[Any, Any, Any], organization_id: UUID
) -> Response[str]:
    user = principal(request)
    found = await organization_by_id(gateway(request).pool, organization_id)
    values = {
        "name": found.name,
        "account_manager_id": str(found.account_manager_id or ""),
        "contract_id": str(found.contract_id or ""),
        "ip_allow_list": "\n".join(found.ip_allow_list),
        "mail_domains": "\n".join(found.mail_domains),
        "locale": found.locale.value,
    }
    return await _organization_form(request, user, organization_id=organization_id, values=values)


async def _save_organization(
    request: Request[Any, Any, Any], organization_id: UUID | None
) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
    values = {k: form.get(k, "") for k in ORGANIZATION_FIELDS}
    data = _organization_data(values)
    model = NewOrganization if organization_id is None else OrganizationChange
    body, errors = validate_form(model, data, t)
    if not errors:
        service = gateway(request)
        try:
            if organization_id is None:
                saved = await insert_organization(service, body, t)
            else:
                saved = await change_organization(service, organization_id, body, t)
        except HTTPException as error:
            if not refusable(error):
                raise
            errors = refusal(error, t)
        else:
            return back("/admin/organizations", t("Organization {name} saved.", name=saved.name))
    return await _organization_form(
        request,
        user,
        organization_id=organization_id,
        values=values,
        errors=errors,
        status_code=422,
    )


@post("/organizations/new", include_in_schema=False)
async def organization_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_organization(request, None)


@post("/organizations/{organization_id:uuid}", include_in_schema=False)
async def organization_update(
    request: Request[Any, Any, Any], organization_id: UUID
) -> Response[Any]:
    return await _save_organization(request, organization_id)


# --- users -----------------------------------------------------------------------------


async def _organization_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    listing = await organizations_page(gateway(request).pool, limit=500, offset=0)
    return {str(o.id): o.name for o in listing.items}


@get("/users", include_in_schema=False)
async def user_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    query = request.query_params
    role = query.get("role") if query.get("role") in Role._value2member_map_ else None
    organization_id = parse_uuid(query.get("organization"))
    page = page_number(request)
    listing = await users_page(
        gateway(request).pool,
        limit=LIST_SIZE,
        offset=(page - 1) * LIST_SIZE,
        role=Role(role) if role else None,
        organization_id=organization_id,
    )
    return render(
        request,
        "admin_users.html",
        user=user,
        listing=listing,
        page=page,
        pages=max(1, -(-listing.total // LIST_SIZE)),
        filters={"role": role, "organization": str(organization_id) if organization_id else None},
        roles=list(Role),
        organizations=await _organization_names(request),
    )


USER_FIELDS = (
    "username",
    "password",
    "display_name",
    "email",
    "phone",
    "locale",
    "role",
    "organization_id",
    "scope",
    "active",
)


async def _user_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    user_id: UUID | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    t = words(request, user)
    return render(
        request,
        "admin_user.html",
        status_code=status_code,
        user=user,
        user_id=user_id,
        values=values,
        errors=errors or {},
        role_options=[(r.value, t(r.value)) for r in Role],
        scope_options=[(s.value, t(f"scope_{s.value}")) for s in Scope],
        locale_options=LOCALE_OPTIONS,
        organization_options=list((await _organization_names(request)).items()),
    )


@get("/users/new", include_in_schema=False)
async def user_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    values = dict.fromkeys(USER_FIELDS, "")
    organization = parse_uuid(request.query_params.get("organization"))
    values.update(locale=Locale.EN.value, role=Role.CLIENT.value, active="1")
    if organization:
        values.update(organization_id=str(organization), scope=Scope.OWN.value)
    return await _user_form(request, user, user_id=None, values=values)


@get("/users/{user_id:uuid}", include_in_schema=False)
async def user_edit_form(request: Request[Any, Any, Any], user_id: UUID) -> Response[str]:
    user = principal(request)
    found = await user_by_id(gateway(request).pool, user_id)
    values = {
        "username": found.username,
        "password": "",
        "display_name": found.display_name,
        "email": found.email or "",
        "phone": found.phone or "",
        "locale": found.locale.value,
        "role": found.role.value,
        "organization_id": str(found.organization_id or ""),
        "scope": found.scope.value if found.scope else "",
        "active": "1" if found.active else "",
    }
    return await _user_form(request, user, user_id=user_id, values=values)


async def _save_user(request: Request[Any, Any, Any], user_id: UUID | None) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
    values = {
        k: form.get(k, "").strip() if k != "password" else form.get(k, "") for k in USER_FIELDS
    }
    data: dict[str, Any] = {
        "display_name": values["display_name"],
        "email": values["email"] or None,
        "phone": values["phone"] or None,
        "locale": values["locale"],
        "role": values["role"],
        "organization_id": values["organization_id"] or None,
        "scope": values["scope"] or None,
    }
    if user_id is None:
        data.update(username=values["username"], password=values["password"])
        body, errors = validate_form(NewUser, data, t)
    else:
        data["active"] = values["active"] == "1"
        if values["password"]:
            data["password"] = values["password"]
        body, errors = validate_form(UserChange, data, t)
    if not errors:
        service = gateway(request)
        try:
            if user_id is None:
                saved = await insert_user(service, body)
            else:
                saved = await change_user(service, user, user_id, body)
        except HTTPException as error:
            if not refusable(error):
                raise
            errors = refusal(error, t)
        else:
            return back("/admin/users", t("User {name} saved.", name=saved.username))
    values["password"] = ""  # never sent back to the browser
    return await _user_form(
        request, user, user_id=user_id, values=values, errors=errors, status_code=422
    )


@post("/users/new", include_in_schema=False)
async def user_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_user(request, None)


@post("/users/{user_id:uuid}", include_in_schema=False)
async def user_update(request: Request[Any, Any, Any], user_id: UUID) -> Response[Any]:
    return await _save_user(request, user_id)


# Under /admin, for admins only (see app.py).
ADMIN_PAGES = [
    organization_list,
    organization_new_form,
    organization_edit_form,
    organization_create,
    organization_update,
    user_list,
    user_new_form,
    user_edit_form,
    user_create,
    user_update,
]
