"""The admin pages: organizations, users, the category tree, SLA contracts and calendars.

They call the same functions and queries as the JSON API's admin routes. A form that
fails a check is shown again with a message next to each field it names, and nothing
is written: every check runs before the single transaction or request that saves."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from desk_contracts.enums import Locale, Priority, Role, Scope
from desk_contracts.messages import (
    CalendarList,
    CalendarView,
    ContractList,
    ContractSpec,
    ContractView,
    GetCalendar,
    GetContract,
    ListCalendars,
    ListContracts,
    SaveCalendar,
    SaveContract,
)
from desk_runtime.rpc import RemoteFailure
from litestar import Request, Response, Router, get, post
from litestar.exceptions import HTTPException, NotFoundException
from pydantic import ValidationError

from ..accounts import User
from ..api.accounts import (
    change_organization,
    change_user,
    insert_organization,
    insert_user,
    organization_by_id,
    organizations_page,
    user_by_id,
    users_page,
)
from ..api.categories import all_categories, change_category, create_category
from ..api.deps import require_admin
from ..schemas import (
    CategoryChange,
    NewCategory,
    NewOrganization,
    NewUser,
    OrganizationChange,
    UserChange,
)
from .admin_forms import (
    Errors,
    calendar_field,
    calendar_values,
    contract_field,
    contract_values,
    format_duration,
    model_errors,
    parse_calendar,
    parse_targets,
    reminder_text,
    validate_form,
)
from .pages import (
    PAGE_ERRORS,
    _back,
    _categories,
    _category_label,
    _rpc,
    _service,
    _t,
    _uuid,
    web_user,
)
from .render import render

LIST_SIZE = 50
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIME_ZONES = sorted(available_timezones())


async def admin_user(request: Request[Any, Any, Any]) -> User:
    """Admins only; anyone else gets the same 403 page as a client on a staff page."""
    user = await web_user(request)
    require_admin(user)
    return user


# --- form helpers ------------------------------------------------------------------------


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _page_number(request: Request[Any, Any, Any]) -> int:
    try:
        return max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        return 1


def _refusal(
    error: RemoteFailure | HTTPException,
    t: Any,
    field_of: Callable[[str], str | None] = lambda name: name.split(".")[0],
) -> Errors:
    """A refused save as messages next to the form's fields (`field_of` maps the API's
    field names to the form's; None puts a message on top of the form)."""
    items: list[tuple[str, str]]
    if isinstance(error, RemoteFailure):
        items = [(i.field, i.message) for i in error.failure.errors]
        detail = error.failure.detail
    else:
        extra = error.extra if isinstance(error.extra, list) else []
        items = [
            (str(x["key"]), str(x.get("message", "")))
            for x in extra
            if isinstance(x, dict) and "key" in x
        ]
        detail = str(error.detail)
    errors: Errors = {}
    for name, message in items:
        field = field_of(name) or "form"
        errors.setdefault(field, t(message) if field != "form" else f"{name}: {t(message)}")
    if not errors:
        errors["form"] = t(detail)
    return errors


def _refusable(error: RemoteFailure | HTTPException) -> bool:
    """Refusals a form can explain; a missing record or a denial is a page of its own."""
    status = error.failure.status if isinstance(error, RemoteFailure) else error.status_code
    return status in (400, 409, 422)


async def _staff(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Active staff for the account manager and escalation contact choices."""
    rows = await _service(request).pool.fetch(
        "SELECT id, display_name, role FROM users WHERE role <> 'client' AND active "
        "ORDER BY lower(display_name), id"
    )
    return [{"id": str(r["id"]), "name": r["display_name"], "role": r["role"]} for r in rows]


async def _contracts(request: Request[Any, Any, Any]) -> list[ContractView]:
    answer = await _rpc(request).ask_as(ListContracts(limit=1000), ContractList)
    return list(answer.items)


async def _calendars(request: Request[Any, Any, Any]) -> list[CalendarView]:
    answer = await _rpc(request).ask_as(ListCalendars(limit=1000), CalendarList)
    return list(answer.items)


# --- overview ------------------------------------------------------------------------


@get("/", include_in_schema=False)
async def admin_home(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    pool = _service(request).pool
    counts = {
        "organizations": (await organizations_page(pool, limit=1, offset=0)).total,
        "users": (await users_page(pool, limit=1, offset=0)).total,
        "categories": len(await all_categories(_rpc(request), user)),
        "contracts": len(await _contracts(request)),
        "calendars": len(await _calendars(request)),
    }
    return render(request, "admin_index.html", user=user, counts=counts)


# --- organizations -------------------------------------------------------------------


@get("/organizations", include_in_schema=False)
async def organization_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    page = _page_number(request)
    listing = await organizations_page(
        _service(request).pool, limit=LIST_SIZE, offset=(page - 1) * LIST_SIZE
    )
    return render(
        request,
        "admin_organizations.html",
        user=user,
        listing=listing,
        page=page,
        pages=max(1, -(-listing.total // LIST_SIZE)),
        staff={s["id"]: s["name"] for s in await _staff(request)},
        contracts={str(c.contract_id): c.name for c in await _contracts(request)},
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
        staff_options=[(s["id"], s["name"]) for s in await _staff(request)],
        contract_options=[
            (str(c.contract_id), f"{c.name} (v{c.version})") for c in await _contracts(request)
        ],
    )


def _organization_data(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"].strip(),
        "account_manager_id": values["account_manager_id"] or None,
        "contract_id": values["contract_id"] or None,
        "ip_allow_list": [n for n in re.split(r"[\s,;]+", values["ip_allow_list"]) if n],
    }


ORGANIZATION_FIELDS = ("name", "account_manager_id", "contract_id", "ip_allow_list")


@get("/organizations/new", include_in_schema=False)
async def organization_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    values = dict.fromkeys(ORGANIZATION_FIELDS, "")
    return await _organization_form(request, user, organization_id=None, values=values)


@get("/organizations/{organization_id:uuid}", include_in_schema=False)
async def organization_edit_form(
    request: Request[Any, Any, Any], organization_id: UUID
) -> Response[str]:
    user = await admin_user(request)
    found = await organization_by_id(_service(request).pool, organization_id)
    values = {
        "name": found.name,
        "account_manager_id": str(found.account_manager_id or ""),
        "contract_id": str(found.contract_id or ""),
        "ip_allow_list": "\n".join(found.ip_allow_list),
    }
    return await _organization_form(request, user, organization_id=organization_id, values=values)


async def _save_organization(
    request: Request[Any, Any, Any], organization_id: UUID | None
) -> Response[Any]:
    user = await admin_user(request)
    t = _t(request, user)
    form = await _form(request)
    values = {k: form.get(k, "") for k in ORGANIZATION_FIELDS}
    data = _organization_data(values)
    model = NewOrganization if organization_id is None else OrganizationChange
    body, errors = validate_form(model, data, t)
    if not errors:
        service = _service(request)
        try:
            if organization_id is None:
                saved = await insert_organization(service, body)
            else:
                saved = await change_organization(service, organization_id, body)
        except HTTPException as error:
            if not _refusable(error):
                raise
            errors = _refusal(error, t)
        else:
            return _back("/admin/organizations", t("Organization {name} saved.", name=saved.name))
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
    listing = await organizations_page(_service(request).pool, limit=500, offset=0)
    return {str(o.id): o.name for o in listing.items}


@get("/users", include_in_schema=False)
async def user_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    query = request.query_params
    role = query.get("role") if query.get("role") in Role._value2member_map_ else None
    organization_id = _uuid(query.get("organization"))
    page = _page_number(request)
    listing = await users_page(
        _service(request).pool,
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
    t = _t(request, user)
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
        locale_options=[(Locale.EN.value, "English"), (Locale.RU.value, "Русский")],
        organization_options=list((await _organization_names(request)).items()),
    )


@get("/users/new", include_in_schema=False)
async def user_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    values = dict.fromkeys(USER_FIELDS, "")
    organization = _uuid(request.query_params.get("organization"))
    values.update(locale=Locale.EN.value, role=Role.CLIENT.value, active="1")
    if organization:
        values.update(organization_id=str(organization), scope=Scope.OWN.value)
    return await _user_form(request, user, user_id=None, values=values)


@get("/users/{user_id:uuid}", include_in_schema=False)
async def user_edit_form(request: Request[Any, Any, Any], user_id: UUID) -> Response[str]:
    user = await admin_user(request)
    found = await user_by_id(_service(request).pool, user_id)
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
    user = await admin_user(request)
    t = _t(request, user)
    form = await _form(request)
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
        service = _service(request)
        try:
            if user_id is None:
                saved = await insert_user(service, body)
            else:
                saved = await change_user(service, user, user_id, body)
        except HTTPException as error:
            if not _refusable(error):
                raise
            errors = _refusal(error, t)
        else:
            return _back("/admin/users", t("User {name} saved.", name=saved.username))
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


# --- categories ----------------------------------------------------------------------


@get("/categories", include_in_schema=False)
async def category_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    views = await all_categories(_rpc(request), user)
    return render(
        request,
        "admin_categories.html",
        user=user,
        categories=sorted(views, key=lambda v: tuple(v.path)),
        staff={s["id"]: s["name"] for s in await _staff(request)},
    )


CATEGORY_FIELDS = ("parent_id", "code", "name", "colour", "escalation_contact_id")


async def _category_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    category_id: UUID | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    categories = await _categories(_rpc(request), user)
    labels = _category_label(categories)
    by_id = {c.category_id: c for c in categories}
    parent = by_id.get(values.get("parent_id", ""))
    current = by_id.get(str(category_id)) if category_id else None
    return render(
        request,
        "admin_category.html",
        status_code=status_code,
        user=user,
        category_id=category_id,
        values=values,
        errors=errors or {},
        parent_label=labels.get(parent.path) if parent else None,
        code_path=" / ".join(current.path) if current else None,
        staff_options=[(s["id"], s["name"]) for s in await _staff(request)],
    )


@get("/categories/new", include_in_schema=False)
async def category_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    parent = _uuid(request.query_params.get("parent"))
    values = dict.fromkeys(CATEGORY_FIELDS, "")
    values.update(parent_id=str(parent) if parent else "", colour="#607d8b")
    return await _category_form(request, user, category_id=None, values=values)


@get("/categories/{category_id:uuid}", include_in_schema=False)
async def category_edit_form(request: Request[Any, Any, Any], category_id: UUID) -> Response[str]:
    user = await admin_user(request)
    views = await all_categories(_rpc(request), user)
    found = next((v for v in views if v.category_id == category_id), None)
    if found is None:
        raise NotFoundException("category not found")
    values = {
        "parent_id": str(found.parent_id or ""),
        "code": found.code,
        "name": found.name,
        "colour": found.colour,
        "escalation_contact_id": str(found.escalation_contact_id or ""),
    }
    return await _category_form(request, user, category_id=category_id, values=values)


async def _save_category(
    request: Request[Any, Any, Any], category_id: UUID | None
) -> Response[Any]:
    user = await admin_user(request)
    t = _t(request, user)
    form = await _form(request)
    values = {k: form.get(k, "").strip() for k in CATEGORY_FIELDS}
    data: dict[str, Any] = {
        "name": values["name"],
        "colour": values["colour"],
        "escalation_contact_id": values["escalation_contact_id"] or None,
    }
    if category_id is None:
        data.update(parent_id=values["parent_id"] or None, code=values["code"])
        body, errors = validate_form(NewCategory, data, t)
    else:
        body, errors = validate_form(CategoryChange, data, t)
    if not errors:
        client = _rpc(request)
        try:
            if category_id is None:
                saved = await create_category(client, user, body)
            else:
                saved = await change_category(client, user, category_id, body)
        except (RemoteFailure, HTTPException) as error:
            if not _refusable(error):
                raise
            errors = _refusal(error, t, lambda name: name if name in CATEGORY_FIELDS else None)
        else:
            return _back("/admin/categories", t("Category {name} saved.", name=saved.name))
    return await _category_form(
        request, user, category_id=category_id, values=values, errors=errors, status_code=422
    )


@post("/categories/new", include_in_schema=False)
async def category_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_category(request, None)


@post("/categories/{category_id:uuid}", include_in_schema=False)
async def category_update(request: Request[Any, Any, Any], category_id: UUID) -> Response[Any]:
    return await _save_category(request, category_id)


# --- contracts -------------------------------------------------------------------------


@get("/contracts", include_in_schema=False)
async def contract_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    return render(request, "admin_contracts.html", user=user, contracts=await _contracts(request))


async def _contract_page(
    request: Request[Any, Any, Any],
    user: User,
    *,
    contract: ContractView | None,
    latest: int | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    categories = await _categories(_rpc(request), user)
    labels = {"/".join(path): label for path, label in _category_label(categories).items()}
    return render(
        request,
        "admin_contract.html",
        status_code=status_code,
        user=user,
        contract=contract,
        latest=latest,
        values=values,
        errors=errors or {},
        labels=labels,
        calendar_options=[(str(c.calendar_id), c.name) for c in await _calendars(request)],
        priorities=list(Priority),
        column_labels={
            "response": "First response",
            "resolution": "Resolution",
            "reminder": "Reminder",
        },
        duration=format_duration,
        reminder=reminder_text,
    )


@get("/contracts/new", include_in_schema=False)
async def contract_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    return await _contract_page(
        request, user, contract=None, latest=None, values=contract_values(None)
    )


@get("/contracts/{contract_id:uuid}", include_in_schema=False)
async def contract_page(request: Request[Any, Any, Any], contract_id: UUID) -> Response[str]:
    user = await admin_user(request)
    client = _rpc(request)
    latest = await client.ask_as(GetContract(contract_id=contract_id), ContractView)
    try:
        version = int(request.query_params.get("version") or latest.version)
    except ValueError:
        version = latest.version
    shown = latest
    if version != latest.version and 1 <= version < latest.version:
        shown = await client.ask_as(
            GetContract(contract_id=contract_id, version=version), ContractView
        )
    return await _contract_page(
        request, user, contract=shown, latest=latest.version, values=contract_values(shown)
    )


async def _save_contract(
    request: Request[Any, Any, Any], contract_id: UUID | None
) -> Response[Any]:
    user = await admin_user(request)
    t = _t(request, user)
    client = _rpc(request)
    form = await _form(request)
    rows, targets, origin, errors = parse_targets(form, t)
    values: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "calendar_id": form.get("calendar_id", ""),
        "is_default": "1" if form.get("is_default") == "1" else "",
        "rows": rows,
    }
    base: ContractView | None = None
    latest: int | None = None
    if contract_id is not None:
        newest = await client.ask_as(GetContract(contract_id=contract_id), ContractView)
        latest = newest.version
        base = newest
        try:
            based_on = int(form.get("base_version") or newest.version)
        except ValueError:
            based_on = newest.version
        if 1 <= based_on < newest.version:
            base = await client.ask_as(
                GetContract(contract_id=contract_id, version=based_on), ContractView
            )
    if not values["name"]:
        errors["name"] = t("This field is required.")
    calendar_id = _uuid(values["calendar_id"])
    if calendar_id is None:
        errors["calendar_id"] = t("This field is required.")
    if not targets and not errors:
        errors["targets"] = t("A contract needs at least one target.")
    if not errors:
        try:
            spec = ContractSpec(
                name=values["name"],
                calendar_id=calendar_id,
                targets=tuple(targets),
                # A new version keeps the ladder and quotas of the version it revises.
                escalation=base.escalation if base else None,
                quotas=base.quotas if base else (),
                is_default=bool(values["is_default"]),
            )
        except ValidationError as error:
            errors = model_errors(error, values, t)
        else:
            try:
                saved = await client.ask_as(
                    SaveContract(contract_id=contract_id, contract=spec), ContractView
                )
            except RemoteFailure as error:
                if not _refusable(error):
                    raise
                errors = _refusal(error, t, lambda name: contract_field(name, origin))
            else:
                return _back(
                    f"/admin/contracts/{saved.contract_id}",
                    t(
                        "Contract {name} saved as version {version}.",
                        name=saved.name,
                        version=saved.version,
                    ),
                )
    return await _contract_page(
        request,
        user,
        contract=base,
        latest=latest,
        values=values,
        errors=errors,
        status_code=422,
    )


@post("/contracts/new", include_in_schema=False)
async def contract_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_contract(request, None)


@post("/contracts/{contract_id:uuid}", include_in_schema=False)
async def contract_revise(request: Request[Any, Any, Any], contract_id: UUID) -> Response[Any]:
    return await _save_contract(request, contract_id)


# --- calendars -------------------------------------------------------------------------


@get("/calendars", include_in_schema=False)
async def calendar_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    return render(
        request,
        "admin_calendars.html",
        user=user,
        calendars=await _calendars(request),
        weekdays=WEEKDAYS,
        short_days=SHORT_DAYS,
    )


async def _calendar_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    calendar_id: UUID | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    return render(
        request,
        "admin_calendar.html",
        status_code=status_code,
        user=user,
        calendar_id=calendar_id,
        values=values,
        errors=errors or {},
        weekdays=WEEKDAYS,
        time_zones=TIME_ZONES,
    )


@get("/calendars/new", include_in_schema=False)
async def calendar_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await admin_user(request)
    return await _calendar_form(request, user, calendar_id=None, values=calendar_values(None))


@get("/calendars/{calendar_id:uuid}", include_in_schema=False)
async def calendar_edit_form(request: Request[Any, Any, Any], calendar_id: UUID) -> Response[str]:
    user = await admin_user(request)
    found = await _rpc(request).ask_as(GetCalendar(calendar_id=calendar_id), CalendarView)
    return await _calendar_form(
        request, user, calendar_id=calendar_id, values=calendar_values(found)
    )


async def _save_calendar(
    request: Request[Any, Any, Any], calendar_id: UUID | None
) -> Response[Any]:
    user = await admin_user(request)
    t = _t(request, user)
    values, spec, errors = parse_calendar(await _form(request), t)
    if spec is not None:
        try:
            saved = await _rpc(request).ask_as(
                SaveCalendar(calendar_id=calendar_id, calendar=spec), CalendarView
            )
        except RemoteFailure as error:
            if not _refusable(error):
                raise
            errors = _refusal(error, t, calendar_field)
        else:
            return _back("/admin/calendars", t("Calendar {name} saved.", name=saved.name))
    return await _calendar_form(
        request, user, calendar_id=calendar_id, values=values, errors=errors, status_code=422
    )


@post("/calendars/new", include_in_schema=False)
async def calendar_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_calendar(request, None)


@post("/calendars/{calendar_id:uuid}", include_in_schema=False)
async def calendar_update(request: Request[Any, Any, Any], calendar_id: UUID) -> Response[Any]:
    return await _save_calendar(request, calendar_id)


ADMIN = Router(
    path="/admin",
    route_handlers=[
        admin_home,
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
        category_list,
        category_new_form,
        category_edit_form,
        category_create,
        category_update,
        contract_list,
        contract_new_form,
        contract_page,
        contract_create,
        contract_revise,
        calendar_list,
        calendar_new_form,
        calendar_edit_form,
        calendar_create,
        calendar_update,
    ],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)
