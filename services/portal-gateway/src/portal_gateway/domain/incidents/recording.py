"""Staff record a request that came by phone, an on-site visit, chat or e-mail (SPEC
§12): the client who asked, the channel it came by (it counts against that channel's
quota; a refused one shows why, and nothing is written), category, priority, words."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from desk_contracts.enums import Channel, Priority
from desk_runtime.rpc import RemoteFailure
from litestar import Request, Response, get, post
from litestar.exceptions import ValidationException

from ...blobs import upload_scope
from ...deps import gateway, principal, rpc
from ...guards import staff_only
from ...web.forms import back, field_errors, submission_id, words
from ...web.render import render
from ...web.views import category_labels
from ..categories.service import category_infos
from ..packages.service import QuotaRefused
from . import service
from .schemas import NewIncident

# The channels staff record by hand; portal, API and mailed requests file themselves.
RECORDED_CHANNELS = (Channel.PHONE, Channel.ONSITE, Channel.CHAT, Channel.EMAIL)
FIELDS = ("requester_id", "channel", "title", "description", "category_id", "priority")


async def _form(
    request: Request[Any, Any, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    user = principal(request)
    categories = await category_infos(rpc(request), user)
    clients = await gateway(request).pool.fetch(
        "SELECT u.id, u.display_name, o.name AS organization FROM users u "
        "JOIN organizations o ON o.id = u.organization_id "
        "WHERE u.role = 'client' AND u.active ORDER BY lower(o.name), lower(u.display_name)"
    )
    return render(
        request,
        "record_incident.html",
        status_code=status_code,
        user=user,
        clients=clients,
        channels=RECORDED_CHANNELS,
        categories=categories,
        labels=category_labels(categories),
        priorities=list(Priority),
        values=values or {"channel": Channel.PHONE.value, "priority": Priority.NORMAL.value},
        errors=errors or {},
        form_key=uuid4(),
    )


@get("/incidents/record", include_in_schema=False, guards=[staff_only])
async def record_form(request: Request[Any, Any, Any]) -> Response[str]:
    return await _form(request)


@post("/incidents/record", include_in_schema=False, guards=[staff_only])
async def record(request: Request[Any, Any, Any]) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in FIELDS}
    data: dict[str, Any] = {k: v for k, v in values.items() if v or k in ("title",)}
    errors = field_errors(NewIncident, data, t)
    if not errors and values["channel"] not in {c.value for c in RECORDED_CHANNELS}:
        errors = {"channel": t("Choose the channel the request came by.")}
    if errors:
        return await _form(request, values, errors, 422)
    try:
        with upload_scope(None) as files:
            created = await service.file_incident(
                gateway(request),
                rpc(request),
                user,
                NewIncident.model_validate(data),
                files,
                request_id=submission_id("recorded", user, dict(form)),
                t=t,
            )
    except QuotaRefused as error:
        return await _form(request, values, {"form": str(error.detail)}, 409)
    except ValidationException as error:
        extra = error.extra if isinstance(error.extra, list) else []
        found = {str(x["key"]): str(x.get("message", "")) for x in extra if isinstance(x, dict)}
        return await _form(request, values, found or {"form": str(error.detail)}, 422)
    except RemoteFailure as error:
        found = {i.field: i.message for i in error.failure.errors}
        return await _form(
            request, values, found or {"form": error.failure.detail}, error.failure.status
        )
    return back(
        f"/incidents/{created.incident_id}", t("Incident {number} filed.", number=created.number)
    )


PAGES = [record_form, record]
