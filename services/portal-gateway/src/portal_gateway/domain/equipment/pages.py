"""The portal's equipment: the list (clients: their organization's; staff: every
organization's, by organization and serial number), a device's page with its terms and
the notices sent about it, and the admins' CSV import with its report."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException, ValidationException

from ...deps import CSRF_FIELD, READS_MULTIPART, check_pending_csrf, gateway, principal, rpc
from ...web.forms import page_number, parse_uuid, words
from ...web.render import render
from ..accounts.service import organization_names
from . import service

PAGE_SIZE = 50


@get("/equipment", include_in_schema=False)
async def equipment_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    query = request.query_params
    organization = parse_uuid(query.get("organization")) if user.role.is_staff else None
    q = (query.get("q") or "").strip()[:200] or None
    page = page_number(request)
    listing = await service.find_equipment(
        rpc(request),
        gateway(request).pool,
        user,
        organization_id=organization,
        q=q,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    organizations = await organization_names(gateway(request).pool) if user.role.is_staff else {}
    return render(
        request,
        "equipment.html",
        user=user,
        listing=listing,
        page=page,
        pages=max(1, -(-listing.total // PAGE_SIZE)),
        filters={"organization": str(organization) if organization else "", "q": q or ""},
        organizations=organizations,
    )


@get("/equipment/{equipment_id:uuid}", include_in_schema=False)
async def equipment_page(request: Request[Any, Any, Any], equipment_id: UUID) -> Response[str]:
    user = principal(request)
    t = words(request, user)
    device = await service.device(rpc(request), gateway(request).pool, user, equipment_id, t)
    notices = await service.notices(rpc(request), user, equipment_id, t)
    return render(request, "equipment_device.html", user=user, device=device, notices=notices)


@get("/equipment/import", include_in_schema=False)
async def import_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return render(
        request,
        "admin_equipment_import.html",
        user=user,
        organizations=await organization_names(gateway(request).pool),
        chosen=request.query_params.get("organization", ""),
        report=None,
        error=None,
        form_key=uuid4(),
    )


@post("/equipment/import", include_in_schema=False, opt={READS_MULTIPART: True})
async def import_list(request: Request[Any, Any, Any]) -> Response[str]:
    """The list is read whole before anything is recorded: a malformed file comes back
    with the reason and nothing imported; otherwise the report of its rows."""
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    token = form.get(CSRF_FIELD)
    check_pending_csrf(request, token if isinstance(token, str) else None)
    chosen = str(form.get("organization_id") or "")
    organizations = await organization_names(gateway(request).pool)
    upload = form.get("file")
    organization = parse_uuid(chosen)
    key = parse_uuid(str(form.get("form_key") or ""))
    report, error, status = None, None, 200
    try:
        if organization is None:
            raise ValidationException(detail=t("Choose an organization"))
        if upload is None or isinstance(upload, str):
            raise ValidationException(detail=t("send the list as a CSV file"))
        report = await service.import_list(
            rpc(request),
            gateway(request).pool,
            user,
            organization,
            await upload.read(),
            service.import_key(user.id, key),
            t,
        )
    except HTTPException as refused:
        extra = refused.extra if isinstance(refused.extra, list) else []
        messages = [str(x.get("message")) for x in extra if isinstance(x, dict)]
        error, status = ("; ".join(messages) or str(refused.detail)), 422
    return render(
        request,
        "admin_equipment_import.html",
        status_code=status,
        user=user,
        organizations=organizations,
        chosen=chosen,
        report=report,
        error=error,
        form_key=uuid4(),
    )


PAGES = [equipment_list, equipment_page]
# Under /admin, for admins only (see app.py).
ADMIN_PAGES = [import_form, import_list]
