"""The portal's pages: server-rendered HTML over the same intake, SLA and routing
queries the JSON API asks, with the same session cookie, CSRF token and allow-list.

Every failure becomes a readable message on a page: form problems next to their fields,
refused actions as a notice on the incident, anything else on an error page."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from desk_contracts.enums import Channel, Priority, Role, Status
from desk_contracts.messages import (
    AddEntry,
    AgentList,
    Backlog,
    CategoryList,
    ChangeStatus,
    CountIncidents,
    CreateIncident,
    EntryCreated,
    GetBacklog,
    GetIncident,
    GetIncidentSla,
    IncidentCounts,
    IncidentCreated,
    IncidentPage,
    IncidentSla,
    IncidentView,
    ListAgents,
    ListCategories,
    ListIncidents,
    RateIncident,
    SlaReport,
    SlaReportView,
    UpdateIncident,
)
from desk_runtime.errors import validation_items
from desk_runtime.logging import get_logger
from desk_runtime.rpc import RemoteFailure, RpcClient, ServiceUnavailable
from desk_runtime.service import Service
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.response import Redirect
from pydantic import BaseModel, ValidationError

from ..accounts import Session, User, end_session, issue_web_session
from ..api.agents import _names as user_names
from ..api.assignment import assign_by_hand
from ..api.auth import TooManyAttempts, _check_credentials
from ..api.deps import (
    CSRF_FIELD,
    READS_MULTIPART,
    authenticate,
    check_address,
    check_csrf,
    client_address,
    csrf_cookie,
    session_cookie,
)
from ..blobs import BadUpload, Upload, UploadTooLarge, blob_store, read_multipart
from ..outage import OUTAGES, RETRY_AFTER, UNAVAILABLE
from ..saved_filters import normalize_filter_query, saved_filters_of
from ..schemas import NewEntry, NewIncident, RatingIn, StatusChange, TokenRequest
from ..security import csrf_matches
from .i18n import translator
from .render import FLASH_COOKIE, LANG_COOKIE, language_of, render
from .views import CategoryInfo, CountRow, category_tree, is_overdue, safe_next

log = get_logger(__name__)

PAGE_SIZE = 25
LOGIN_CSRF_COOKIE = "desk_login_csrf"


class LoginRequired(Exception):
    """No live session: the reader is sent to the login page and back afterwards."""


# --- who is asking ---------------------------------------------------------------------


async def web_user(request: Request[Any, Any, Any]) -> User:
    """The cookie session's user; changes must carry the session's CSRF token (a form
    field), and a client's organization allow-list binds every page."""
    session = await authenticate(request)
    if session is None or session.kind != "web":
        raise LoginRequired
    check_address(request, session)
    await check_csrf(request, session)
    request.state.session = session
    return session.user


async def staff_user(request: Request[Any, Any, Any]) -> User:
    user = await web_user(request)
    if not user.role.is_staff:
        raise PermissionDeniedException("staff only")
    return user


def _rpc(request: Request[Any, Any, Any]) -> RpcClient:
    client: RpcClient = request.app.state.rpc
    return client


def _service(request: Request[Any, Any, Any]) -> Service:
    service: Service = request.app.state.service
    return service


def _t(request: Request[Any, Any, Any], user: User | None = None) -> Any:
    return translator(language_of(request, user.locale.value if user else None))


def _back(target: str, message: str) -> Redirect:
    """Post/redirect/get with a one-shot notice shown by the next page."""
    return Redirect(
        target,
        status_code=303,
        cookies=[Cookie(key=FLASH_COOKIE, value=quote(message), path="/", samesite="lax")],
    )


def _failure_text(error: Exception) -> str:
    if isinstance(error, RemoteFailure):
        failure = error.failure
        fields = "; ".join(f"{i.field}: {i.message}" for i in failure.errors)
        return f"{failure.detail}" + (f" ({fields})" if fields else "")
    if isinstance(error, HTTPException):
        return str(error.detail)
    return str(error)


# --- categories, names -----------------------------------------------------------------


async def _categories(client: RpcClient, user: User) -> list[CategoryInfo]:
    answer = await client.ask_as(ListCategories(principal=user.principal), CategoryList)
    return [CategoryInfo(str(c.category_id), tuple(c.path), c.name, c.colour) for c in answer.items]


def _category_label(categories: list[CategoryInfo]) -> dict[tuple[str, ...], str]:
    """`Fault › Software error` for every path."""
    names = {c.path: c.name for c in categories}
    return {
        c.path: " › ".join(names.get(c.path[:i], c.path[i - 1]) for i in range(1, len(c.path) + 1))
        for c in categories
    }


# --- entry, login, language ------------------------------------------------------------


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
    t = _t(request)
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
    try:
        user = await _check_credentials(
            request, TokenRequest(username=username[:150], password=password[:1024])
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
    service = _service(request)
    settings = service.settings
    absolute = timedelta(hours=settings.session_absolute_hours)
    async with service.pool.acquire() as conn, conn.transaction():
        previous = request.cookies.get(session_cookie(settings))
        if previous:
            await end_session(conn, previous)
        token, csrf = await issue_web_session(conn, user.id, absolute)
    max_age = int(absolute.total_seconds())
    response = Redirect(safe_next(str(form.get("next") or "")), status_code=303)
    response.set_cookie(
        session_cookie(settings),
        token,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=max_age,
    )
    response.set_cookie(
        csrf_cookie(settings),
        csrf,
        path="/",
        secure=settings.secure_cookies,
        samesite="strict",
        max_age=max_age,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    log.info("portal_login", user_id=str(user.id))
    return response


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    await web_user(request)
    service = _service(request)
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


# --- incident list ---------------------------------------------------------------------


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@get("/incidents", include_in_schema=False)
async def incident_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = await web_user(request)
    client = _rpc(request)
    query = request.query_params
    statuses = [s for s in query.getall("status", []) if s in Status._value2member_map_]
    priorities = [p for p in query.getall("priority", []) if p in Priority._value2member_map_]
    category = _uuid(query.get("category"))
    q = (query.get("q") or "").strip()[:500] or None
    overdue = query.get("overdue") == "1" or None
    assignee = query.get("assignee") or ""
    try:
        page = max(1, int(query.get("page") or 1))
    except ValueError:
        page = 1
    assignee_id = user.id if assignee == "me" else _uuid(assignee)
    listing = await client.ask_as(
        ListIncidents(
            principal=user.principal,
            statuses=tuple(Status(s) for s in statuses),
            category_id=category,
            priorities=tuple(Priority(p) for p in priorities),
            assignee_id=assignee_id if user.role.is_staff else None,
            unassigned=user.role.is_staff and assignee == "none",
            q=q,
            overdue=overdue,
            sort=query.get("sort") if query.get("sort") in ("-created", "created") else "-created",
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        ),
        IncidentPage,
    )
    categories = await _categories(client, user)
    labels = _category_label(categories)
    colours = {c.path: c.colour for c in categories}
    tree = []
    if user.role.is_staff:
        counts = await client.ask_as(CountIncidents(principal=user.principal), IncidentCounts)
        tree = category_tree(
            categories,
            (
                CountRow(tuple(g.category_path), g.priority.value, g.status.value, g.count)
                for g in counts.groups
            ),
        )
    names = await user_names(
        request, [i.assignee_id for i in listing.items if i.assignee_id is not None]
    )
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
    saved = await saved_filters_of(_service(request).pool, user.id)
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
        saved_filters=saved,
        categories=categories,
        labels=labels,
        tree=tree,
        statuses=list(Status),
        priorities=list(Priority),
    )


@post("/incidents/bulk", include_in_schema=False)
async def bulk_change(request: Request[Any, Any, Any]) -> Redirect:
    """Staff: one status for many incidents; each change is checked on its own."""
    user = await staff_user(request)
    client = _rpc(request)
    t = _t(request, user)
    form = await request.form()
    back = safe_next(str(form.get("back") or ""))
    ids = [i for i in (_uuid(str(v)) for v in form.getall("incident", [])) if i]
    if not ids:
        return _back(back, t("Select at least one incident."))
    action = str(form.get("action") or "")
    done = 0
    problems: list[str] = []
    for incident_id in ids[: PAGE_SIZE * 4]:
        try:
            if action == "take":
                await assign_by_hand(client, user, incident_id, user.id)
            elif action in Status._value2member_map_:
                await client.ask(
                    ChangeStatus(
                        principal=user.principal, incident_id=incident_id, status=Status(action)
                    )
                )
            else:
                problems.append(f"action: {action or '—'}")
                break
            done += 1
        except (RemoteFailure, HTTPException) as error:
            problems.append(_failure_text(error))
    message = t("{done} of {total} incidents changed.", done=done, total=len(ids))
    if problems:
        message += " " + "; ".join(dict.fromkeys(problems))[:300]
    return _back(back, message)


# --- new incident ----------------------------------------------------------------------


async def _read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, str], Upload | None]:
    """A multipart form's text fields and stored files, with the session's CSRF token
    checked (the API reads its multipart bodies the same way)."""
    service = _service(request)
    store = blob_store(service.settings)
    upload = await read_multipart(request, store, service.settings.max_upload_bytes)
    presented = upload.fields.pop(CSRF_FIELD, None)
    session: Session = request.state.session
    if not csrf_matches(session.csrf_token, presented):
        upload.discard()
        raise PermissionDeniedException("missing or wrong CSRF token")
    return upload.fields, upload


def _field_errors(model: type[BaseModel], data: dict[str, Any], t: Any) -> dict[str, str]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        return {
            item.field: t("This field is required.")
            if not str(data.get(item.field) or "").strip()
            else item.message
            for item in validation_items(error)
        }
    return {}


# A hidden field of the forms that file or reply: the key the page was rendered with.
FORM_KEY = "form_key"


def submission_id(kind: str, user: User, fields: Mapping[str, Any], scope: object = "") -> UUID:
    """The request id of a form post, from the key its page was rendered with: a double
    click or a page sent again (after a timeout, say) files once. The user and the
    incident are mixed in, so a key is nobody else's; a post without one is new."""
    try:
        key = UUID(str(fields.get(FORM_KEY, "")))
    except ValueError:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"web-{kind}:{user.id}:{scope}:{key}")


async def _new_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    categories = await _categories(_rpc(request), user)
    return render(
        request,
        "new_incident.html",
        status_code=status_code,
        user=user,
        categories=categories,
        labels=_category_label(categories),
        priorities=list(Priority),
        values=values or {"priority": Priority.NORMAL.value},
        errors=errors or {},
        form_key=uuid4(),
    )


@get("/incidents/new", include_in_schema=False)
async def new_incident_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = await web_user(request)
    return await _new_form(request, user)


@post("/incidents/new", include_in_schema=False, opt={READS_MULTIPART: True})
async def new_incident(request: Request[Any, Any, Any]) -> Response[Any]:
    user = await web_user(request)
    t = _t(request, user)
    if user.role is not Role.CLIENT:
        raise PermissionDeniedException("the portal files incidents for clients")
    try:
        fields, upload = await _read_form(request)
    except (BadUpload, UploadTooLarge) as error:
        field = getattr(error, "field", "files")
        message = getattr(error, "message", None) or str(error)
        return await _new_form(request, user, errors={field: message}, status_code=422)
    values = {k: fields.get(k, "") for k in ("title", "description", "category_id", "priority")}
    data = {k: v for k, v in values.items() if k != "priority" or v}
    errors = _field_errors(NewIncident, data, t)
    if errors:
        if upload is not None:
            upload.discard()
        return await _new_form(request, user, values=values, errors=errors, status_code=422)
    body = NewIncident.model_validate(data)
    assert user.organization_id is not None
    try:
        created = await _rpc(request).ask_as(
            CreateIncident(
                request_id=submission_id("incident", user, fields),
                principal=user.principal,
                requester_id=user.id,
                organization_id=user.organization_id,
                title=body.title,
                description=body.description,
                category_id=body.category_id,
                priority=body.priority,
                channel=Channel.PORTAL,
                attachments=tuple(upload.files) if upload else (),
            ),
            IncidentCreated,
        )
    except RemoteFailure as error:
        if upload is not None:
            upload.settle(error)
        found = {i.field: i.message for i in error.failure.errors}
        return await _new_form(
            request,
            user,
            values=values,
            errors=found or {"form": error.failure.detail},
            status_code=error.failure.status,
        )
    except BaseException:
        if upload is not None:
            upload.keep()  # a timeout: intake may still commit the attachments
        raise
    if upload is not None:
        upload.keep()
    return _back(
        f"/incidents/{created.incident_id}", t("Incident {number} filed.", number=created.number)
    )


# --- incident page ---------------------------------------------------------------------


@get("/incidents/{incident_id:uuid}", include_in_schema=False)
async def incident_page(request: Request[Any, Any, Any], incident_id: UUID) -> Response[str]:
    user = await web_user(request)
    client = _rpc(request)
    view = await client.ask_as(
        GetIncident(principal=user.principal, incident_id=incident_id), IncidentView
    )
    sla: IncidentSla | None = None
    try:
        answer = await client.ask(
            GetIncidentSla(incident_id=incident_id, locale=user.locale, staff=user.role.is_staff)
        )
        sla = answer if isinstance(answer, IncidentSla) else None
    except RemoteFailure:
        sla = None  # not computed yet: the page says so
    categories = await _categories(client, user)
    labels = _category_label(categories)
    people = {view.requester_id, *(e.author_id for e in view.entries if e.author_id)}
    if view.assignee_id:
        people.add(view.assignee_id)
    names = await user_names(request, [p for p in people if p is not None])
    agents: list[dict[str, Any]] = []
    if user.role.is_staff:
        board = await client.ask_as(ListAgents(limit=200), AgentList)
        agent_names = await user_names(request, [a.agent_id for a in board.items])
        agents = [
            {
                "id": a.agent_id,
                "name": agent_names[a.agent_id]["display_name"]
                if a.agent_id in agent_names
                else str(a.agent_id),
                "load": a.load,
                "capacity": a.capacity,
                "presence": a.presence.value,
            }
            for a in board.items
        ]
    organization = await _service(request).pool.fetchval(
        "SELECT name FROM organizations WHERE id = $1", view.organization_id
    )
    now = datetime.now(UTC)
    return render(
        request,
        "incident.html",
        user=user,
        incident=view,
        sla=sla,
        label=labels.get(tuple(view.category_path), "/".join(view.category_path)),
        colour=next((c.colour for c in categories if c.path == tuple(view.category_path)), "#888"),
        categories=categories,
        labels=labels,
        names={k: v["display_name"] for k, v in names.items()},
        organization=organization,
        agents=agents,
        statuses=list(Status),
        priorities=list(Priority),
        overdue=is_overdue(view.resolution_due, view.status, now),
        is_requester=view.requester_id == user.id,
        form_key=uuid4(),
    )


@post("/incidents/{incident_id:uuid}/reply", include_in_schema=False, opt={READS_MULTIPART: True})
async def reply(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = await web_user(request)
    t = _t(request, user)
    target = f"/incidents/{incident_id}"
    try:
        fields, upload = await _read_form(request)
    except (BadUpload, UploadTooLarge) as error:
        return _back(target, getattr(error, "message", None) or str(error))
    files = tuple(upload.files) if upload else ()
    # Clients always write public entries; intake decides the default for staff.
    visibility = (fields.get("visibility") or None) if user.role.is_staff else None
    try:
        data = NewEntry.model_validate({"text": fields.get("text", ""), "visibility": visibility})
        await _rpc(request).ask_as(
            AddEntry(
                request_id=submission_id("entry", user, fields, incident_id),
                principal=user.principal,
                incident_id=incident_id,
                text=data.text,
                visibility=data.visibility,
                attachments=files,
            ),
            EntryCreated,
        )
    except (ValidationError, RemoteFailure) as error:
        if upload is not None:
            upload.settle(error, asked=isinstance(error, RemoteFailure))
        if isinstance(error, ValidationError):
            return _back(target, "; ".join(i.message for i in validation_items(error)))
        return _back(target, _failure_text(error))
    except BaseException:
        if upload is not None:
            upload.keep()  # a timeout: intake may still commit the attachments
        raise
    if upload is not None:
        upload.keep()
    return _back(target, t("Reply sent."))


@post("/incidents/{incident_id:uuid}/status", include_in_schema=False)
async def change_status(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = await web_user(request)
    t = _t(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    try:
        data = StatusChange.model_validate(
            {"status": form.get("status"), "reason": form.get("reason") or ""}
        )
        await _rpc(request).ask(
            ChangeStatus(
                principal=user.principal,
                incident_id=incident_id,
                status=data.status,
                reason=data.reason,
            )
        )
    except ValidationError as error:
        return _back(target, "; ".join(f"{i.field}: {i.message}" for i in validation_items(error)))
    except RemoteFailure as error:
        return _back(target, _failure_text(error))
    return _back(target, t("Status changed."))


@post("/incidents/{incident_id:uuid}/rating", include_in_schema=False)
async def rate(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    user = await web_user(request)
    t = _t(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    try:
        # A form sends text; the API's body would refuse "5", so the digits become one.
        raw = str(form.get("score") or "").strip()
        data = RatingIn.model_validate(
            {"score": int(raw) if raw.isdigit() else raw, "comment": form.get("comment") or ""}
        )
        await _rpc(request).ask(
            RateIncident(
                principal=user.principal,
                incident_id=incident_id,
                score=data.score,
                comment=data.comment,
            )
        )
    except ValidationError:
        return _back(target, t("Rate the service") + ": 1–5")
    except RemoteFailure as error:
        return _back(target, _failure_text(error))
    return _back(target, t("Thank you for your rating."))


@post("/incidents/{incident_id:uuid}/update", include_in_schema=False)
async def update(request: Request[Any, Any, Any], incident_id: UUID) -> Redirect:
    """Staff: category, priority, assignee."""
    user = await staff_user(request)
    t = _t(request, user)
    form = await request.form()
    target = f"/incidents/{incident_id}"
    client = _rpc(request)
    try:
        view = await client.ask_as(
            GetIncident(principal=user.principal, incident_id=incident_id), IncidentView
        )
        category = _uuid(str(form.get("category_id") or ""))
        priority = str(form.get("priority") or "")
        new_priority = Priority(priority) if priority in Priority._value2member_map_ else None
        if (category and category != view.category_id) or (
            new_priority and new_priority != view.priority
        ):
            await client.ask(
                UpdateIncident(
                    principal=user.principal,
                    incident_id=incident_id,
                    category_id=category if category != view.category_id else None,
                    priority=new_priority if new_priority != view.priority else None,
                )
            )
        agent = _uuid(str(form.get("assignee_id") or ""))
        if agent and agent != view.assignee_id:
            await assign_by_hand(client, user, incident_id, agent)
    except (RemoteFailure, HTTPException) as error:
        return _back(target, _failure_text(error))
    return _back(target, t("Saved."))


# --- staff boards ----------------------------------------------------------------------


@get("/agents", include_in_schema=False)
async def agents_board(request: Request[Any, Any, Any]) -> Response[str]:
    user = await staff_user(request)
    client = _rpc(request)
    board = await client.ask_as(ListAgents(limit=500), AgentList)
    backlog = await client.ask_as(GetBacklog(limit=100), Backlog)
    names = await user_names(request, [a.agent_id for a in board.items])
    agents = sorted(
        (
            {
                "view": a,
                "name": names[a.agent_id]["display_name"] if a.agent_id in names else "—",
                "share": min(1.0, a.load / a.capacity) if a.capacity else 1.0,
            }
            for a in board.items
        ),
        key=lambda row: (-cast(float, row["share"]), str(row["name"])),
    )
    categories = await _categories(client, user)
    return render(
        request,
        "agents.html",
        user=user,
        agents=agents,
        backlog=backlog,
        labels=_category_label(categories),
    )


def _parse_day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


@get("/reports/sla", include_in_schema=False)
async def sla_report(request: Request[Any, Any, Any]) -> Response[str]:
    user = await staff_user(request)
    client = _rpc(request)
    since = _parse_day(request.query_params.get("since"))
    until = _parse_day(request.query_params.get("until"))
    reports = {}
    for group in ("category", "organization"):
        answer = await client.ask_as(
            SlaReport(since=since, until=until, group_by=group), SlaReportView
        )
        reports[group] = answer
    organizations = {
        str(row["id"]): row["name"]
        for row in await _service(request).pool.fetch("SELECT id, name FROM organizations")
    }
    categories = await _categories(client, user)
    labels = {"/".join(path): label for path, label in _category_label(categories).items()}
    return render(
        request,
        "sla_report.html",
        user=user,
        reports=reports,
        organizations=organizations,
        labels=labels,
        since_day=since.date().isoformat() if since else "",
        until_day=until.date().isoformat() if until else "",
    )


# --- errors as pages -------------------------------------------------------------------


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    t = _t(request)
    titles = {403: t("Access denied"), 404: t("Not found"), 503: t("Temporarily unavailable")}
    return render(
        request,
        "error.html",
        status_code=status,
        user=getattr(getattr(request.state, "session", None), "user", None),
        title=titles.get(status, t("Something went wrong")),
        message=message,
    )


def _on_login_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path if request.method == "GET" else "/incidents"
    return Redirect(f"/login?next={quote(target)}", status_code=303)


def _on_http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if error.status_code == 401:
        return _on_login_required(request, error)
    if error.status_code == 404:
        message = _t(request)("The page you asked for does not exist or is not yours to see.")
        return _error_page(request, 404, message)
    return _error_page(request, error.status_code, str(error.detail))


def _on_remote(request: Request[Any, Any, Any], error: RemoteFailure) -> Response[Any]:
    if error.failure.status == 503:
        return _on_unavailable(request, error)
    if error.failure.status == 404:
        message = _t(request)("The page you asked for does not exist or is not yours to see.")
        return _error_page(request, 404, message)
    return _error_page(request, error.failure.status, _failure_text(error))


def _on_unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if not isinstance(error, ServiceUnavailable):  # the request/reply client logged those
        log.warning("page_dependency_unavailable", path=request.url.path, error=repr(error))
    page = _error_page(request, 503, _t(request)(UNAVAILABLE))
    page.headers.update(RETRY_AFTER)
    return page


def _on_upload(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    return _error_page(request, 413 if isinstance(error, UploadTooLarge) else 422, str(error))


def _on_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("page_failed", path=request.url.path, error=repr(error))
    return _error_page(request, 500, _t(request)("Something went wrong"))


# Every page router (the portal's and the admin's) turns failures into pages the same way.
PAGE_ERRORS: dict[Any, Any] = {
    LoginRequired: _on_login_required,
    HTTPException: _on_http,
    RemoteFailure: _on_remote,
    # A peer, the broker or the database out of reach for a moment: a 503 page.
    **dict.fromkeys(OUTAGES, _on_unavailable),
    BadUpload: _on_upload,
    UploadTooLarge: _on_upload,
    Exception: _on_unexpected,
}

PORTAL = Router(
    path="/",
    route_handlers=[
        home,
        login_form,
        login,
        logout,
        switch_language,
        incident_list,
        bulk_change,
        new_incident_form,
        new_incident,
        incident_page,
        reply,
        change_status,
        rate,
        update,
        agents_board,
        sla_report,
    ],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)
