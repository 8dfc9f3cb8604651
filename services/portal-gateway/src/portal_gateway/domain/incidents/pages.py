"""The portal's incident pages: the list (filters, search, the staff's category tree,
saved filters), bulk changes, filing with files, the incident page, replies, status,
rating and the staff's changes. They call the same use cases as the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID, uuid4

from desk_contracts.enums import Channel, Priority, Status
from desk_runtime.errors import validation_items
from desk_runtime.rpc import RemoteFailure, RpcClient
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect
from pydantic import ValidationError

from ...accounts import User
from ...blobs import UPLOAD_ROUTE, BadUpload, UploadTooLarge, read_upload, upload_scope
from ...deps import gateway, principal, rpc
from ...guards import staff_only
from ...saved_filters import (
    clean_name,
    delete_filter,
    normalize_filter_query,
    save_filter,
    saved_filters_of,
)
from ...web.forms import (
    back,
    check_form_csrf,
    failure_text,
    field_errors,
    parse_uuid,
    submission_id,
    too_large_text,
    words,
)
from ...web.render import render
from ...web.views import (
    CountRow,
    category_labels,
    category_tree,
    is_overdue,
    query_string,
    safe_next,
)
from ..accounts.service import names_of, organization_name, organization_names
from ..agents.pages import assignment_refusal
from ..agents.service import OVERRIDERS, agent_board, assign_by_hand
from ..categories.service import category_infos
from ..equipment import service as equipment_service
from ..knowledge import pages as knowledge_pages
from ..packages.service import QuotaRefused, package_if_known
from ..sla.service import deadlines_if_known
from . import service
from .guards import clients_only
from .schemas import NewEntry, NewIncident, RatingIn, StatusChange
from .service import IncidentFilter

PAGE_SIZE = 25


@get("/incidents", include_in_schema=False)
async def incident_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    query = request.query_params
    statuses = [s for s in query.getall("status", []) if s in Status._value2member_map_]
    priorities = [p for p in query.getall("priority", []) if p in Priority._value2member_map_]
    category = parse_uuid(query.get("category"))
    q = (query.get("q") or "").strip()[:500] or None
    overdue = query.get("overdue") == "1" or None
    assignee = query.get("assignee") or ""
    try:
        page = max(1, int(query.get("page") or 1))
    except ValueError:
        page = 1
    assignee_id = user.id if assignee == "me" else parse_uuid(assignee)
    found = IncidentFilter(
        statuses=tuple(Status(s) for s in statuses),
        category_id=category,
        priorities=tuple(Priority(p) for p in priorities),
        assignee_id=assignee_id if user.role.is_staff else None,
        unassigned=user.role.is_staff and assignee == "none",
        q=q,
        overdue=overdue,
        sort=str(query.get("sort")) if query.get("sort") in ("-created", "created") else "-created",
    )
    listing = await service.find_incidents(
        client, user, found, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    categories = await category_infos(client, user)
    labels = category_labels(categories)
    colours = {c.path: c.colour for c in categories}
    tree = []
    if user.role.is_staff:
        counts = await service.count_incidents(client, user)
        tree = category_tree(
            categories,
            (
                CountRow(tuple(g.category_path), g.priority.value, g.status.value, g.count)
                for g in counts.groups
            ),
        )
    pool = gateway(request).pool
    people = {i.assignee_id for i in listing.items if i.assignee_id}
    organizations: dict[str, str] = {}
    if user.role.is_staff:  # staff see whose incident it is, and for which organization
        people |= {i.requester_id for i in listing.items}
        organizations = await organization_names(pool)
    names = await names_of(pool, list(people))
    now = datetime.now(UTC)
    rows = [
        {
            "item": item,
            "label": labels.get(tuple(item.category_path), "/".join(item.category_path)),
            "colour": colours.get(tuple(item.category_path), "#8a94a0"),
            "overdue": is_overdue(item.resolution_due, item.status, now)
            or (item.status in (Status.NEW,) and is_overdue(item.response_due, item.status, now)),
            "assignee": names[item.assignee_id]["display_name"]
            if item.assignee_id in names
            else None,
            "requester": names[item.requester_id]["display_name"]
            if item.requester_id in names
            else None,
            "organization": organizations.get(str(item.organization_id)),
        }
        for item in listing.items
    ]
    filters = {
        "q": q,
        "status": statuses,
        "priority": priorities,
        "category": str(category) if category else None,
        "overdue": "1" if overdue else None,
        "assignee": assignee or None,
    }
    pages = max(1, -(-listing.total // PAGE_SIZE))
    return render(
        request,
        "incidents.html",
        user=user,
        rows=rows,
        total=listing.total,
        page=page,
        pages=pages,
        filters=filters,
        # The filters in their stored form: what "Save filters" keeps, and which saved
        # filter (if any) is the one shown.
        current_query=normalize_filter_query(query.multi_items(), staff=user.role.is_staff),
        saved_filters=await saved_filters_of(pool, user.id),
        categories=categories,
        labels=labels,
        tree=tree,
        statuses=list(Status),
        priorities=list(Priority),
        # A client's home: their package, its channels and quotas, beside the list.
        package=None
        if user.role.is_staff
        else await package_if_known(client, user.organization_id, words(request, user)),
    )


@post("/incidents/bulk", include_in_schema=False, guards=[staff_only])
async def bulk_change(request: Request[Any, Any, Any]) -> Redirect:
    """Staff: one status for many incidents; each change is checked on its own."""
    user = principal(request)
    client = rpc(request)
    t = words(request, user)
    form = await request.form()
    target = safe_next(str(form.get("back") or ""))
    ids = [i for i in (parse_uuid(str(v)) for v in form.getall("incident", [])) if i]
    if not ids:
        return back(target, t("Select at least one incident."))
    action = str(form.get("action") or "")
    done = 0
    problems: list[str] = []
    for incident_id in ids[: PAGE_SIZE * 4]:
        try:
            if action == "take":
                await assign_by_hand(client, user, incident_id, user.id)
            elif action in Status._value2member_map_:
                await service.change_status(client, user, incident_id, Status(action))
            else:
                problems.append(f"action: {action or '—'}")
                break
            done += 1
        except (RemoteFailure, HTTPException) as error:
            problems.append(failure_text(error))
    message = t("{done} of {total} incidents changed.", done=done, total=len(ids))
    if problems:
        message += " " + "; ".join(dict.fromkeys(problems))[:300]
    return back(target, message)


# --- filing ----------------------------------------------------------------------------


NEW_INCIDENT_FIELDS = (
    "title",
    "description",
    "category_id",
    "priority",
    "equipment_id",
    "equipment_serial",
)


async def _new_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    suggest: bool = False,
) -> Response[str]:
    categories = await category_infos(rpc(request), user)
    values = values or {"priority": Priority.NORMAL.value}
    # The knowledge base's answers for what was chosen and typed so far ("Show answers",
    # or back from saying whether one helped); the page works without JavaScript.
    suggestions = None
    if suggest:
        suggestions = await knowledge_pages.suggestions_for(
            request, user, values.get("category_id"), values.get("title")
        )
    # The equipment picker: the client's organization's devices.
    devices = (
        (
            await equipment_service.find_equipment(
                rpc(request),
                gateway(request).pool,
                user,
                organization_id=user.organization_id,
                q=None,
                limit=500,
                offset=0,
            )
        ).items
        if user.organization_id is not None
        else []
    )
    return render(
        request,
        "new_incident.html",
        devices=devices,
        status_code=status_code,
        user=user,
        categories=categories,
        labels=category_labels(categories),
        priorities=list(Priority),
        values=values,
        errors=errors or {},
        form_key=uuid4(),
        suggestions=suggestions,
        suggest_next="/incidents/new"
        + query_string({"category_id": values.get("category_id"), "title": values.get("title")}),
    )


@get("/incidents/new", include_in_schema=False)
async def new_incident_form(request: Request[Any, Any, Any]) -> Response[str]:
    query = request.query_params
    if not (query.get("category_id") or query.get("title")):
        return await _new_form(request, principal(request))
    values = {
        "priority": Priority.NORMAL.value,
        "category_id": query.get("category_id") or "",
        "title": (query.get("title") or "")[:300],
    }
    return await _new_form(request, principal(request), values=values, suggest=True)


@post(
    "/incidents/new",
    include_in_schema=False,
    **UPLOAD_ROUTE,
    guards=[clients_only],
)
async def new_incident(request: Request[Any, Any, Any]) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    try:
        upload = await read_upload(request)
    except UploadTooLarge as error:
        typed = {k: v for k, v in error.fields.items() if k in NEW_INCIDENT_FIELDS}
        return await _new_form(
            request,
            user,
            values={"priority": Priority.NORMAL.value, **typed},
            errors={"files": too_large_text(t, error)},
            status_code=413,
        )
    except BadUpload as error:
        return await _new_form(request, user, errors={error.field: error.message}, status_code=422)
    try:
        with upload_scope(upload) as files:
            fields = check_form_csrf(request, upload)
            values = {k: fields.get(k, "") for k in NEW_INCIDENT_FIELDS}
            data = {k: v for k, v in values.items() if k in ("title", "description") or v}
            if fields.get("action") == "suggest":
                return await _new_form(request, user, values=values, suggest=True)
            errors = field_errors(NewIncident, data, t)
            if not errors:  # else the form again, and the files were never handed over
                created = await service.file_incident(
                    gateway(request),
                    rpc(request),
                    user,
                    NewIncident.model_validate(data),
                    files,
                    request_id=submission_id("incident", user, fields),
                    t=t,
                    channel=Channel.PORTAL,
                )
    except QuotaRefused as error:
        # The package refuses this channel now: the form again, with what was typed.
        return await _new_form(
            request, user, values=values, errors={"form": error.detail}, status_code=409
        )
    except ValidationException as error:
        # A field the filing checked (the device named, say), next to that field.
        extra = error.extra if isinstance(error.extra, list) else []
        errors = {
            str(x["key"]): str(x.get("message", ""))
            for x in extra
            if isinstance(x, dict) and "key" in x
        }
        return await _new_form(
            request,
            user,
            values=values,
            errors=errors or {"form": str(error.detail)},
            status_code=422,
        )
    except RemoteFailure as error:
        errors = {i.field: i.message for i in error.failure.errors}
        return await _new_form(
            request,
            user,
            values=values,
            errors=errors or {"form": error.failure.detail},
            status_code=error.failure.status,
        )
    if errors:
        return await _new_form(request, user, values=values, errors=errors, status_code=422)
    return back(
        f"/incidents/{created.incident_id}", t("Incident {number} filed.", number=created.number)
    )


# --- one incident ----------------------------------------------------------------------


async def _agent_choices(
    request: Request[Any, Any, Any], client: RpcClient
) -> list[dict[str, Any]]:
    board, names = await agent_board(gateway(request), client, limit=200)
    return [
        {
            "id": a.agent_id,
            "name": names[a.agent_id]["display_name"] if a.agent_id in names else str(a.agent_id),
            "load": a.load,
            "capacity": a.capacity,
            "presence": a.presence.value,
        }
        for a in board.items
    ]


@get("/incidents/{incident_id:uuid}", include_in_schema=False)
async def incident_page(request: Request[Any, Any, Any], incident_id: UUID) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    pool = gateway(request).pool
    view = await service.visible_incident(client, user, incident_id)
    sla = await deadlines_if_known(client, user, incident_id)
    categories = await category_infos(client, user)
    labels = category_labels(categories)
    people = {view.requester_id, *(e.author_id for e in view.entries if e.author_id)}
    if view.assignee_id:
        people.add(view.assignee_id)
    names = await names_of(pool, [p for p in people if p is not None])
    agents = await _agent_choices(request, client) if user.role.is_staff else []
    # Staff see the knowledge base's articles for the incident beside it.
    articles = None
    if user.role.is_staff and view.status.is_open:
        articles = await knowledge_pages.staff_suggestions(
            request, user, incident_id, view.category_id, view.title
        )
    now = datetime.now(UTC)
    device_incidents = []
    if view.equipment is not None:
        others = await service.find_incidents(
            client,
            user,
            service.IncidentFilter(equipment_id=view.equipment.equipment_id),
            limit=21,
            offset=0,
        )
        device_incidents = [o for o in others.items if o.incident_id != view.incident_id][:20]
    return render(
        request,
        "incident.html",
        device_incidents=device_incidents,
        user=user,
        incident=view,
        sla=sla,
        label=labels.get(tuple(view.category_path), "/".join(view.category_path)),
        colour=next((c.colour for c in categories if c.path == tuple(view.category_path)), "#888"),
        categories=categories,
        labels=labels,
        names={k: v["display_name"] for k, v in names.items()},
        organization=await organization_name(pool, view.organization_id),
        agents=agents,
        statuses=list(Status),
        priorities=list(Priority),
        overdue=is_overdue(view.resolution_due, view.status, now),
        is_requester=view.requester_id == user.id,
        form_key=uuid4(),
        articles=articles,
        # Staff see the organization's quota state beside the incident.
        package=await package_if_known(client, view.organization_id, words(request, user))
        if user.role.is_staff
        else None,
    )


@post("/incidents/{incident_id:uuid}/reply", include_in_schema=False, **UPLOAD_ROUTE)
async def reply(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = principal(request)
    t = words(request, user)
    target = f"/incidents/{incident_id}"
    try:
        upload = await read_upload(request)
    except UploadTooLarge as error:
        return back(target, too_large_text(t, error), error=True)
    except BadUpload as error:
        return back(target, error.message, error=True)
    try:
        with upload_scope(upload) as files:
            fields = check_form_csrf(request, upload)
            # Clients always write public entries; intake decides the default for staff.
            visibility = (fields.get("visibility") or None) if user.role.is_staff else None
            data = NewEntry.model_validate(
                {"text": fields.get("text", ""), "visibility": visibility}
            )
            await service.add_entry(
                rpc(request),
                user,
                incident_id,
                data.text,
                data.visibility,
                files,
                request_id=submission_id("entry", user, fields, incident_id),
            )
    except ValidationError as error:
        return back(target, "; ".join(i.message for i in validation_items(error)), error=True)
    except RemoteFailure as error:
        return back(target, failure_text(error), error=True)
    return back(target, t("Reply sent."))


@post("/incidents/{incident_id:uuid}/status", include_in_schema=False)
async def change_status(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    try:
        data = StatusChange.model_validate(
            {"status": form.get("status"), "reason": form.get("reason") or ""}
        )
        await service.change_status(rpc(request), user, incident_id, data.status, data.reason)
    except ValidationError:
        return back(target, t("Choose the new status."), error=True)
    except RemoteFailure as error:
        if error.failure.status == 409:  # changed meanwhile: the page offers what is allowed now
            allowed = ", ".join(t(s) for s in (error.failure.data or {}).get("allowed", ()))
            return back(
                target,
                t(
                    "The incident cannot move to that status now; allowed: {allowed}.",
                    allowed=allowed or "—",
                ),
                error=True,
            )
        return back(target, failure_text(error), error=True)
    return back(target, t("Status changed."))


@post("/incidents/{incident_id:uuid}/rating", include_in_schema=False)
async def rate(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    try:
        # A form sends text; the API's body would refuse "5", so the digits become one.
        raw = str(form.get("score") or "").strip()
        data = RatingIn.model_validate(
            {"score": int(raw) if raw.isdigit() else raw, "comment": form.get("comment") or ""}
        )
        await service.rate_incident(rpc(request), user, incident_id, data.score, data.comment)
    except ValidationError:
        return back(target, t("Rate the service") + ": 1–5")
    except RemoteFailure as error:
        return back(target, failure_text(error), error=True)
    return back(target, t("Thank you for your rating."))


@post("/incidents/{incident_id:uuid}/update", include_in_schema=False, guards=[staff_only])
async def update(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    """Staff: category, priority, assignee."""
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    client = rpc(request)
    try:
        view = await service.visible_incident(client, user, incident_id)
        category = parse_uuid(str(form.get("category_id") or ""))
        priority = str(form.get("priority") or "")
        new_priority = Priority(priority) if priority in Priority._value2member_map_ else None
        if (category and category != view.category_id) or (
            new_priority and new_priority != view.priority
        ):
            await service.update_incident(
                client,
                user,
                incident_id,
                category_id=category if category != view.category_id else None,
                priority=new_priority if new_priority != view.priority else None,
            )
        agent = parse_uuid(str(form.get("assignee_id") or ""))
        if agent and agent != view.assignee_id:
            override = form.get("override") == "1" and user.role in OVERRIDERS
            await assign_by_hand(client, user, incident_id, agent, override)
    except (RemoteFailure, HTTPException) as error:
        return back(target, assignment_refusal(error, t, user), error=True)
    return back(target, t("Saved."))


# --- saved filters: both answer with the list page and a notice; a filter that is not
# the reader's own is a 404 page.


@post("/incidents/saved-filters", include_in_schema=False)
async def save_filters(request: Request[Any, Any, Any]) -> Redirect:
    """The list's current filters (a hidden field) under a name the reader gives."""
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    query = normalize_filter_query(
        parse_qsl(str(form.get("query") or "")), staff=user.role.is_staff
    )
    target = "/incidents" + (f"?{query}" if query else "")
    name = clean_name(str(form.get("name") or ""))
    problem = await save_filter(gateway(request).pool, user.id, name, query)
    if problem:
        return back(target, t(problem))
    return back(target, t("Filters saved as “{name}”.", name=name))


@post("/incidents/saved-filters/{filter_id:uuid}/delete", include_in_schema=False)
async def delete_saved_filter(request: Request[Any, Any, Any], filter_id: UUID) -> Redirect:
    user = principal(request)
    form = await request.form()
    if not await delete_filter(gateway(request).pool, user.id, filter_id):
        raise NotFoundException("no such saved filter")
    return back(
        safe_next(str(form.get("back") or "")), words(request, user)("Saved filter deleted.")
    )


PAGES = [
    incident_list,
    bulk_change,
    new_incident_form,
    new_incident,
    incident_page,
    reply,
    change_status,
    rate,
    update,
    save_filters,
    delete_saved_filter,
]
