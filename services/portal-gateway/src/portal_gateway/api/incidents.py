"""Incidents: filing (JSON or multipart with files), reading, listing and searching,
replies and notes, status changes, reclassification, rating, and staff's counts.

Scope is enforced by intake at the source: the gateway passes the principal with every
question and maps intake's "not found" to 404, so nothing outside a client's scope —
and no internal entry — ever reaches the edge to be filtered here."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from desk_contracts.enums import Channel, Priority, Role, Status
from desk_contracts.messages import (
    INCIDENT_SORTS,
    AddEntry,
    ChangeStatus,
    CountIncidents,
    CreateIncident,
    EntryCreated,
    GetIncident,
    IncidentCounts,
    IncidentCreated,
    IncidentView,
    ListIncidents,
    RateIncident,
    UpdateIncident,
)
from desk_contracts.messages import (
    IncidentPage as IncidentPageView,
)
from desk_runtime.errors import validation_items
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException, ValidationException
from litestar.openapi.spec import OpenAPIMediaType as MediaType
from litestar.openapi.spec import Operation, RequestBody
from litestar.params import Parameter
from pydantic import BaseModel, ValidationError

from ..accounts import User
from ..blobs import BadUpload, Upload, blob_store, read_multipart
from ..schemas import (
    Attachment,
    Created,
    Entry,
    EntryCreatedOut,
    Incident,
    IncidentChange,
    IncidentListItem,
    IncidentPage,
    NewEntry,
    NewIncident,
    RatingIn,
    StatusChange,
    Summary,
    SummaryGroup,
)
from .deps import (
    CSRF_FIELD,
    READS_MULTIPART,
    Limit,
    Offset,
    check_pending_csrf,
    current_user,
    field_error,
    is_multipart,
    media_type,
    require_staff,
    rpc,
)

ModelT = TypeVar("ModelT", bound=BaseModel)


# --- bodies that come as JSON or as multipart with files -------------------------------


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its $defs inlined, for a hand-written request body."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(deepcopy(defs[ref.rsplit("/", 1)[-1]]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _form_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = _inline(model.model_json_schema())
    schema["properties"]["files"] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": 10,
    }
    schema["properties"][CSRF_FIELD] = {"type": "string"}
    schema["additionalProperties"] = False
    return schema


def _body_operation(model: type[BaseModel]) -> type[Operation]:
    """An OpenAPI operation whose body is `model` as JSON or as a multipart form."""
    content = {
        "application/json": MediaType(schema=_inline(model.model_json_schema())),  # type: ignore[arg-type]
        "multipart/form-data": MediaType(schema=_form_schema(model)),  # type: ignore[arg-type]
    }

    @dataclass
    class JsonOrMultipart(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content=content, required=True)

    return JsonOrMultipart


def _validate(model: type[ModelT], data: Any) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationException(
            detail="invalid request",
            extra=[{"key": i.field, "message": i.message} for i in validation_items(error)],
        ) from error


async def _read_body(
    request: Request[Any, Any, Any], model: type[ModelT]
) -> tuple[ModelT, Upload | None]:
    """The body as `model`, from JSON or from a multipart form whose files are stored."""
    if is_multipart(request):
        service: Service = request.app.state.service
        store = blob_store(service.settings)
        try:
            upload = await read_multipart(request, store, service.settings.max_upload_bytes)
        except BadUpload as error:
            raise field_error(error.field, error.message) from error
        try:
            check_pending_csrf(request, upload.fields.pop(CSRF_FIELD, None))
            return _validate(model, upload.fields), upload
        except BaseException:
            upload.discard()
            raise
    if media_type(request) not in ("application/json", ""):
        raise field_error("body", "send application/json or multipart/form-data")
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}"), None
    except ValidationError as error:
        items = validation_items(error)
        if any(i.message.startswith("Invalid JSON") for i in items):
            items = [type(items[0])(field="body", message="malformed JSON")]
        raise ValidationException(
            detail="invalid request", extra=[{"key": i.field, "message": i.message} for i in items]
        ) from error


# --- views ---------------------------------------------------------------------------


def incident_out(view: IncidentView) -> Incident:
    data = view.model_dump(exclude={"entries"})
    data["id"] = data.pop("incident_id")
    data["entries"] = [
        Entry(
            id=e.entry_id,
            kind=e.kind,
            visibility=e.visibility,
            author_id=e.author_id,
            author_role=e.author_role,
            text=e.text,
            created_at=e.created_at,
            attachments=[
                Attachment(
                    id=a.attachment_id,
                    entry_id=a.entry_id,
                    filename=a.filename,
                    size=a.size,
                    sha256=a.sha256,
                    declared_type=a.declared_type,
                    sniffed_type=a.sniffed_type,
                    created_at=a.created_at,
                    url=f"/api/v1/attachments/{a.attachment_id}",
                )
                for a in e.attachments
            ],
        )
        for e in view.entries
    ]
    return Incident.model_validate(data)


class IncidentController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listIncidents")
    async def list_incidents(
        self,
        user: User,
        client: RpcClient,
        limit: Limit = 50,
        offset: Offset = 0,
        status: list[Status] | None = None,
        category: UUID | None = None,
        priority: list[Priority] | None = None,
        assignee: Annotated[
            str | None,
            Parameter(
                pattern=r"^(me|none|[0-9a-fA-F-]{36})$",
                description="an agent's id, `me` or `none` (unassigned)",
            ),
        ] = None,
        organization: UUID | None = None,
        q: Annotated[str | None, Parameter(max_length=500, description="full text")] = None,
        overdue: bool | None = None,
        sort: Annotated[
            str, Parameter(pattern="^(" + "|".join(INCIDENT_SORTS) + ")$", default="-created")
        ] = "-created",
    ) -> IncidentPage:
        """Incidents in the caller's scope, filtered, searched (title, description and
        the entries the caller may read; Russian and English stemming) and paginated."""
        assignee_id: UUID | None = None
        if assignee == "me":
            assignee_id = user.id
        elif assignee not in (None, "none"):
            try:
                assignee_id = UUID(assignee)
            except ValueError as error:
                raise field_error("assignee", "an id, me or none") from error
        page = await client.ask_as(
            ListIncidents(
                principal=user.principal,
                statuses=tuple(status or ()),
                category_id=category,
                priorities=tuple(priority or ()),
                assignee_id=assignee_id,
                unassigned=assignee == "none",
                organization_id=organization,
                q=q,
                overdue=overdue,
                sort=sort,
                limit=limit,
                offset=offset,
            ),
            IncidentPageView,
        )
        items = []
        for item in page.items:
            data = item.model_dump()
            data["id"] = data.pop("incident_id")
            items.append(IncidentListItem.model_validate(data))
        return IncidentPage(
            total=page.total,
            total_exact=page.total_exact,
            limit=limit,
            offset=offset,
            items=items,
        )

    @get("/summary", operation_id="incidentSummary")
    async def summary(
        self, user: User, client: RpcClient, organization: UUID | None = None
    ) -> Summary:
        """Staff: counts by category × priority × status (the tree of the staff list)."""
        require_staff(user)
        counts = await client.ask_as(
            CountIncidents(principal=user.principal, organization_id=organization), IncidentCounts
        )
        return Summary(
            total=counts.total,
            groups=[SummaryGroup.model_validate(g.model_dump()) for g in counts.groups],
        )

    @post(
        "/",
        operation_id="createIncident",
        status_code=201,
        operation_class=_body_operation(NewIncident),
        opt={READS_MULTIPART: True},
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> Created:
        """File an incident (JSON, or a multipart form with `files`). Clients file for
        themselves; staff name the client who asks."""
        data, upload = await _read_body(request, NewIncident)
        asked = False
        try:
            requester_id, organization_id = user.id, user.organization_id
            if user.role is Role.CLIENT:
                if data.requester_id not in (None, user.id):
                    raise PermissionDeniedException("clients file incidents for themselves")
                # The channel counts against the contract's quotas: a client's own
                # request came through the API, whatever it says.
                if data.channel not in (None, Channel.API):
                    raise field_error(
                        "channel", "clients file through the API; staff record e-mail and phone"
                    )
            else:
                if data.requester_id is None:
                    raise field_error("requester_id", "staff must name the client who asks")
                service: Service = request.app.state.service
                requester = await service.pool.fetchrow(
                    "SELECT id, organization_id FROM users WHERE id = $1 AND role = 'client'",
                    data.requester_id,
                )
                if requester is None:
                    raise field_error("requester_id", "no such client")
                requester_id, organization_id = requester["id"], requester["organization_id"]
            assert organization_id is not None
            asked = True
            created = await client.ask_as(
                CreateIncident(
                    # A retried request (same key) files once; the user is mixed in so
                    # another user's equal key files anew and learns nothing of the first.
                    request_id=uuid5(NAMESPACE_URL, f"incident:{user.id}:{idempotency_key}")
                    if idempotency_key
                    else uuid4(),
                    principal=user.principal,
                    requester_id=requester_id,
                    organization_id=organization_id,
                    title=data.title,
                    description=data.description,
                    category_id=data.category_id,
                    priority=data.priority,
                    channel=data.channel or Channel.API,
                    attachments=tuple(upload.files) if upload else (),
                ),
                IncidentCreated,
            )
        except BaseException as error:
            if upload is not None:
                upload.settle(error, asked=asked)
            raise
        if upload is not None:
            upload.keep()
        return Created(id=created.incident_id, number=created.number)

    @get("/{incident_id:uuid}", operation_id="getIncident")
    async def detail(self, incident_id: UUID, user: User, client: RpcClient) -> Incident:
        """The incident with its history and files; clients see public entries only."""
        view = await client.ask_as(
            GetIncident(principal=user.principal, incident_id=incident_id), IncidentView
        )
        return incident_out(view)

    @post(
        "/{incident_id:uuid}/entries",
        operation_id="addEntry",
        status_code=201,
        operation_class=_body_operation(NewEntry),
        opt={READS_MULTIPART: True},
    )
    async def add_entry(
        self,
        request: Request[Any, Any, Any],
        incident_id: UUID,
        user: User,
        client: RpcClient,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> EntryCreatedOut:
        """A reply or an internal note (staff), with files. Clients always write public
        entries; a client's reply to an incident waiting on it resumes the work."""
        data, upload = await _read_body(request, NewEntry)
        files = tuple(upload.files) if upload else ()
        try:
            created = await client.ask_as(
                AddEntry(
                    # A retried request (same key) must not add the entry twice.
                    request_id=uuid5(
                        NAMESPACE_URL, f"entry:{user.id}:{incident_id}:{idempotency_key}"
                    )
                    if idempotency_key
                    else uuid4(),
                    principal=user.principal,
                    incident_id=incident_id,
                    text=data.text,
                    visibility=data.visibility,
                    attachments=files,
                ),
                EntryCreated,
            )
        except BaseException as error:
            if upload is not None:
                upload.settle(error)
            raise
        if upload is not None:
            upload.keep()
        return EntryCreatedOut(
            id=created.entry_id,
            incident_id=created.incident_id,
            status=created.status,
            attachments=[f.attachment_id for f in files],
        )

    @post("/{incident_id:uuid}/status", operation_id="changeStatus", status_code=200)
    async def change_status(
        self, incident_id: UUID, data: StatusChange, user: User, client: RpcClient
    ) -> Incident:
        """Move the incident along its life cycle; 409 names the allowed targets.
        Clients (the requester) may confirm a resolution or reopen within the window."""
        view = await client.ask_as(
            ChangeStatus(
                principal=user.principal,
                incident_id=incident_id,
                status=data.status,
                reason=data.reason,
            ),
            IncidentView,
        )
        return incident_out(view)

    @patch("/{incident_id:uuid}", operation_id="updateIncident")
    async def update(
        self, incident_id: UUID, data: IncidentChange, user: User, client: RpcClient
    ) -> Incident:
        """Staff: change title, category or priority (the SLA recomputes on the last two)."""
        require_staff(user)
        view = await client.ask_as(
            UpdateIncident(
                principal=user.principal,
                incident_id=incident_id,
                title=data.title,
                category_id=data.category_id,
                priority=data.priority,
            ),
            IncidentView,
        )
        return incident_out(view)

    @post("/{incident_id:uuid}/rating", operation_id="rateIncident", status_code=200)
    async def rate(
        self, incident_id: UUID, data: RatingIn, user: User, client: RpcClient
    ) -> Incident:
        """The requester rates the service, 1–5 with a comment, once resolved."""
        view = await client.ask_as(
            RateIncident(
                principal=user.principal,
                incident_id=incident_id,
                score=data.score,
                comment=data.comment,
            ),
            IncidentView,
        )
        return incident_out(view)
