"""The admin pages of the category tree: list, new and edit forms. A form that fails a
check is shown again with a message next to each field it names."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from ...accounts import User
from ...deps import gateway, principal, rpc
from ...web.admin_forms import Errors, validate_form
from ...web.forms import back, form_values, parse_uuid, saved_or_refused, words
from ...web.render import render
from ...web.views import category_labels
from ..accounts.service import active_staff
from .schemas import CategoryChange, NewCategory
from .service import all_categories, category_infos, change_category, create_category


@get("/categories", include_in_schema=False)
async def category_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    views = await all_categories(rpc(request), user)
    return render(
        request,
        "admin_categories.html",
        user=user,
        categories=sorted(views, key=lambda v: tuple(v.path)),
        staff={s["id"]: s["name"] for s in await active_staff(gateway(request).pool)},
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
    categories = await category_infos(rpc(request), user)
    labels = category_labels(categories)
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
        staff_options=[(s["id"], s["name"]) for s in await active_staff(gateway(request).pool)],
    )


@get("/categories/new", include_in_schema=False)
async def category_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    parent = parse_uuid(request.query_params.get("parent"))
    values = dict.fromkeys(CATEGORY_FIELDS, "")
    values.update(parent_id=str(parent) if parent else "", colour="#607d8b")
    return await _category_form(request, user, category_id=None, values=values)


@get("/categories/{category_id:uuid}", include_in_schema=False)
async def category_edit_form(request: Request[Any, Any, Any], category_id: UUID) -> Response[str]:
    user = principal(request)
    views = await all_categories(rpc(request), user)
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
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
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
        client = rpc(request)
        saved, errors = await saved_or_refused(
            create_category(client, user, body)
            if category_id is None
            else change_category(client, user, category_id, body),
            t,
            lambda name: name if name in CATEGORY_FIELDS else None,
        )
        if saved is not None:
            return back("/admin/categories", t("Category {name} saved.", name=saved.name))
    return await _category_form(
        request, user, category_id=category_id, values=values, errors=errors, status_code=422
    )


@post("/categories/new", include_in_schema=False)
async def category_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_category(request, None)


@post("/categories/{category_id:uuid}", include_in_schema=False)
async def category_update(request: Request[Any, Any, Any], category_id: UUID) -> Response[Any]:
    return await _save_category(request, category_id)


# Under /admin, for admins only (see app.py).
ADMIN_PAGES = [
    category_list,
    category_new_form,
    category_edit_form,
    category_create,
    category_update,
]
