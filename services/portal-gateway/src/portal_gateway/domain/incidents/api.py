"""Incidents over the JSON API: filing (JSON or multipart with files), reading, listing
and searching, replies and notes, status changes, reclassification, rating, staff's
counts, and attachment downloads (always as an attachment, never sniffed)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from desk_contracts.enums import Priority, Status
from desk_contracts.messages import INCIDENT_SORTS, IncidentView
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter
from litestar.response import Stream

from ...accounts import User
from ...blobs import UPLOAD_ROUTE, upload_scope
from ...deps import Limit, Offset, field_error, gateway
from ...guards import signed_in, staff_only
from ...security import content_disposition
from ...web.i18n import translator
from ...web.render import language_of
from . import service
from .bodies import body_operation, read_body, read_files
from .schemas import (
    Attachment,
    Created,
    Entry,
    EntryCreatedOut,
    Incident,
    IncidentChange,
    IncidentDevice,
    IncidentListItem,
    IncidentPage,
    NewEntry,
    NewIncident,
    RatingIn,
    StatusChange,
    Summary,
    SummaryGroup,
)
from .service import IncidentFilter

# Types the gateway itself recognised in the bytes may be announced; anything else is
# served as opaque bytes (the declared type is the client's claim, not a fact).
ANNOUNCED_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def idempotent_id(key: UUID | None, *parts: object) -> UUID:
    """A retried request (same `Idempotency-Key`) acts once; the user (first of `parts`)
    is mixed in so another user's equal key acts anew and learns nothing of the first."""
    if key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, ":".join(str(p) for p in (*parts, key)))


def incident_out(view: IncidentView) -> Incident:
    data = view.model_dump(exclude={"entries", "equipment"})
    data["id"] = data.pop("incident_id")
    if view.equipment is not None:
        device = view.equipment.model_dump()
        device["id"] = device.pop("equipment_id")
        data["equipment"] = IncidentDevice(**device, url=f"/api/v1/equipment/{device['id']}")
    data["entries"] = [
        Entry(
            id=e.entry_id,
            kind=e.kind,
            visibility=e.visibility,
            author_id=e.author_id,
            author_role=e.author_role,
            text=e.text,
            created_at=e.created_at,
            facts=e.facts,
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
    guards = [signed_in]

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
        equipment: Annotated[
            UUID | None, Parameter(description="the incidents naming this device")
        ] = None,
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
        found = IncidentFilter(
            statuses=tuple(status or ()),
            category_id=category,
            priorities=tuple(priority or ()),
            assignee_id=assignee_id,
            unassigned=assignee == "none",
            organization_id=organization,
            equipment_id=equipment,
            q=q,
            overdue=overdue,
            sort=sort,
        )
        page = await service.find_incidents(client, user, found, limit=limit, offset=offset)
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

    @get("/summary", operation_id="incidentSummary", guards=[staff_only])
    async def summary(
        self, user: User, client: RpcClient, organization: UUID | None = None
    ) -> Summary:
        """Staff: counts by category × priority × status (the tree of the staff list)."""
        counts = await service.count_incidents(client, user, organization)
        return Summary(
            total=counts.total,
            groups=[SummaryGroup.model_validate(g.model_dump()) for g in counts.groups],
        )

    @post(
        "/",
        operation_id="createIncident",
        status_code=201,
        operation_class=body_operation(NewIncident),
        **UPLOAD_ROUTE,
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
        upload = await read_files(request)
        with upload_scope(upload) as files:
            data = await read_body(request, NewIncident, upload)
            created = await service.file_incident(
                gateway(request),
                client,
                user,
                data,
                files,
                request_id=idempotent_id(idempotency_key, f"incident:{user.id}"),
                t=translator(language_of(request, user.locale.value)),
            )
        return Created(id=created.incident_id, number=created.number)

    @get("/{incident_id:uuid}", operation_id="getIncident")
    async def detail(self, incident_id: UUID, user: User, client: RpcClient) -> Incident:
        """The incident with its history and files; clients see public entries only."""
        return incident_out(await service.visible_incident(client, user, incident_id))

    @post(
        "/{incident_id:uuid}/entries",
        operation_id="addEntry",
        status_code=201,
        operation_class=body_operation(NewEntry),
        **UPLOAD_ROUTE,
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
        upload = await read_files(request)
        with upload_scope(upload) as files:
            data = await read_body(request, NewEntry, upload)
            created = await service.add_entry(
                client,
                user,
                incident_id,
                data.text,
                data.visibility,
                files,
                request_id=idempotent_id(idempotency_key, f"entry:{user.id}", incident_id),
            )
        return EntryCreatedOut(
            id=created.entry_id,
            incident_id=created.incident_id,
            status=created.status,
            attachments=[f.attachment_id for f in (upload.files if upload else ())],
        )

    @post("/{incident_id:uuid}/status", operation_id="changeStatus", status_code=200)
    async def change_status(
        self, incident_id: UUID, data: StatusChange, user: User, client: RpcClient
    ) -> Incident:
        """Move the incident along its life cycle; 409 names the allowed targets.
        Clients (the requester) may confirm a resolution or reopen within the window."""
        view = await service.change_status(client, user, incident_id, data.status, data.reason)
        return incident_out(view)

    @patch("/{incident_id:uuid}", operation_id="updateIncident", guards=[staff_only])
    async def update(
        self, incident_id: UUID, data: IncidentChange, user: User, client: RpcClient
    ) -> Incident:
        """Staff: change title, category, priority or the channel the request came by
        (the SLA recomputes on the last three; a new channel moves the quota count)."""
        view = await service.update_incident(
            client,
            user,
            incident_id,
            title=data.title,
            category_id=data.category_id,
            priority=data.priority,
            channel=data.channel,
        )
        return incident_out(view)

    @post("/{incident_id:uuid}/rating", operation_id="rateIncident", status_code=200)
    async def rate(
        self, incident_id: UUID, data: RatingIn, user: User, client: RpcClient
    ) -> Incident:
        """The requester rates the service, 1–5 with a comment, once resolved."""
        view = await service.rate_incident(client, user, incident_id, data.score, data.comment)
        return incident_out(view)


class AttachmentController(Controller):
    path = "/api/v1/attachments"
    tags = ["attachments"]
    guards = [signed_in]

    @get(
        "/{attachment_id:uuid}",
        operation_id="downloadAttachment",
        media_type="application/octet-stream",
    )
    async def download(
        self, request: Request[Any, Any, Any], attachment_id: UUID, user: User, client: RpcClient
    ) -> Stream:
        """The file, with Content-Disposition: attachment and X-Content-Type-Options: nosniff."""
        meta, store = await service.attachment_file(gateway(request), client, user, attachment_id)
        media_type = (
            meta.sniffed_type
            if meta.sniffed_type in ANNOUNCED_TYPES
            else "application/octet-stream"
        )
        return Stream(
            store.read(meta.sha256),
            media_type=media_type,
            headers={
                "Content-Disposition": content_disposition(meta.filename),
                "X-Content-Type-Options": "nosniff",
                "Content-Length": str(meta.size),
                "Cache-Control": "private, no-store",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )
