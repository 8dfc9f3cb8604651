"""Saving and deleting the incident list's named filters. Both answer with the list page
and a notice; a filter that is not the reader's own is a 404 page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from litestar import Request, Router, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from ..saved_filters import clean_name, delete_filter, normalize_filter_query, save_filter
from .pages import PAGE_ERRORS, _back, _service, _t, web_user
from .views import safe_next


@post("/", include_in_schema=False)
async def save_filters(request: Request[Any, Any, Any]) -> Redirect:
    """The list's current filters (a hidden field) under a name the reader gives."""
    user = await web_user(request)
    t = _t(request, user)
    form = await request.form()
    query = normalize_filter_query(
        parse_qsl(str(form.get("query") or "")), staff=user.role.is_staff
    )
    back = "/incidents" + (f"?{query}" if query else "")
    name = clean_name(str(form.get("name") or ""))
    problem = await save_filter(_service(request).pool, user.id, name, query)
    if problem:
        return _back(back, t(problem))
    return _back(back, t("Filters saved as “{name}”.", name=name))


@post("/{filter_id:uuid}/delete", include_in_schema=False)
async def delete_saved_filter(request: Request[Any, Any, Any], filter_id: UUID) -> Redirect:
    user = await web_user(request)
    form = await request.form()
    if not await delete_filter(_service(request).pool, user.id, filter_id):
        raise NotFoundException("no such saved filter")
    return _back(safe_next(str(form.get("back") or "")), _t(request, user)("Saved filter deleted."))


SAVED_FILTERS = Router(
    path="/incidents/saved-filters",
    route_handlers=[save_filters, delete_saved_filter],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)
