"""Incident use cases, for the JSON API and the portal's pages alike: filing (who may file
for whom, through which channel), reading, listing, replies, status, changes, rating and
downloads of attachments.

A client's scope is enforced by intake at the source: every question carries the
principal and intake answers "not found" outside it, so nothing outside a client's
scope — and no internal entry — ever reaches the edge to be filtered here.
`visible_incident` is the gateway's one way to ask whether a reader may see an incident."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from desk_contracts.enums import Channel, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    AddEntry,
    AttachmentMeta,
    AttachmentView,
    ChangeStatus,
    CountIncidents,
    CreateIncident,
    EntryCreated,
    GetAttachment,
    GetIncident,
    IncidentCounts,
    IncidentCreated,
    IncidentEquipment,
    IncidentPage,
    IncidentView,
    ListIncidents,
    RateIncident,
    UpdateIncident,
)
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar.exceptions import NotFoundException, PermissionDeniedException

from ...accounts import User
from ...blobs import Blobs, UploadScope, blob_store
from ...deps import field_error
from ..accounts.service import client_of
from ..equipment.service import device_for_incident
from ..packages.service import Translate, category_path_of, claim_before_filing
from .schemas import NewIncident


async def visible_incident(client: RpcClient, user: User, incident_id: UUID) -> IncidentView:
    """The incident as the reader may see it (clients: public entries only); intake's
    404 when it is outside the reader's scope."""
    return await client.ask_as(
        GetIncident(principal=user.principal, incident_id=incident_id), IncidentView
    )


@dataclass(frozen=True)
class IncidentFilter:
    statuses: tuple[Status, ...] = ()
    category_id: UUID | None = None
    priorities: tuple[Priority, ...] = ()
    assignee_id: UUID | None = None
    unassigned: bool = False
    organization_id: UUID | None = None
    equipment_id: UUID | None = None
    q: str | None = None
    overdue: bool | None = None
    sort: str = "-created"


async def find_incidents(
    client: RpcClient, user: User, found: IncidentFilter, *, limit: int, offset: int
) -> IncidentPage:
    """Incidents in the reader's scope, filtered, searched and paginated."""
    return await client.ask_as(
        ListIncidents(
            principal=user.principal,
            statuses=found.statuses,
            category_id=found.category_id,
            priorities=found.priorities,
            assignee_id=found.assignee_id,
            unassigned=found.unassigned,
            organization_id=found.organization_id,
            equipment_id=found.equipment_id,
            q=found.q,
            overdue=found.overdue,
            sort=found.sort,
            limit=limit,
            offset=offset,
        ),
        IncidentPage,
    )


async def count_incidents(
    client: RpcClient, user: User, organization_id: UUID | None = None
) -> IncidentCounts:
    """Staff: counts by category × priority × status."""
    return await client.ask_as(
        CountIncidents(principal=user.principal, organization_id=organization_id), IncidentCounts
    )


async def file_incident(
    service: Service,
    client: RpcClient,
    user: User,
    data: NewIncident,
    files: UploadScope,
    *,
    request_id: UUID,
    t: Translate,
    channel: Channel = Channel.API,
    original: AttachmentMeta | None = None,
) -> IncidentCreated:
    """Clients file for themselves (through the API, or the portal); staff name the
    client who asks and may record an e-mail or a phone call. The organization's package
    is asked first: a channel whose quota is used up under the policy `refuse` (or not
    included) refuses the filing with QuotaRefused, and nothing is written anywhere."""
    requester_id, organization_id = user.id, user.organization_id
    if user.role is Role.CLIENT:
        if data.requester_id not in (None, user.id):
            raise PermissionDeniedException("clients file incidents for themselves")
        # The channel counts against the contract's quotas: a client's own request
        # came through the API, whatever it says.
        if data.channel not in (None, Channel.API):
            raise field_error(
                "channel", "clients file through the API; staff record e-mail and phone"
            )
    else:
        if data.requester_id is None:
            raise field_error("requester_id", "staff must name the client who asks")
        requester = await client_of(service.pool, data.requester_id)
        if requester is None:
            raise field_error("requester_id", "no such client")
        requester_id, organization_id = requester["id"], requester["organization_id"]
    assert organization_id is not None
    equipment = await named_equipment(client, user, organization_id, data, t)
    filed_by = data.channel or channel
    await claim_before_filing(
        client,
        request_id=request_id,
        organization_id=organization_id,
        channel=filed_by,
        category_path=await category_path_of(client, user.principal, data.category_id),
        t=t,
    )
    return await client.ask_as(
        CreateIncident(
            request_id=request_id,
            principal=user.principal,
            requester_id=requester_id,
            organization_id=organization_id,
            title=data.title,
            description=data.description,
            category_id=data.category_id,
            priority=data.priority,
            channel=filed_by,
            attachments=files.hand_over(),
            equipment=equipment,
            original=original,
        ),
        IncidentCreated,
    )


async def named_equipment(
    client: RpcClient, user: User, organization_id: UUID, data: NewIncident, t: Translate
) -> IncidentEquipment | None:
    """The device the filing names (by id or serial number), with its coverage today,
    the registration date; one outside the incident's organization is refused."""
    if data.equipment_id is None and not (data.equipment_serial or "").strip():
        return None
    return await device_for_incident(
        client,
        user,
        organization_id,
        equipment_id=data.equipment_id,
        serial_number=data.equipment_serial,
        t=t,
    )


async def add_entry(
    client: RpcClient,
    user: User,
    incident_id: UUID,
    text: str,
    visibility: Visibility | None,
    files: UploadScope,
    *,
    request_id: UUID,
    original: AttachmentMeta | None = None,
) -> EntryCreated:
    """A reply or an internal note (staff), with files; intake decides the visibility a
    client may write and resumes work waiting on the client. A mailed reply hands over
    its `original` mail too (kept internal)."""
    return await client.ask_as(
        AddEntry(
            request_id=request_id,
            principal=user.principal,
            incident_id=incident_id,
            text=text,
            visibility=visibility,
            attachments=files.hand_over(),
            original=original,
        ),
        EntryCreated,
    )


async def change_status(
    client: RpcClient, user: User, incident_id: UUID, status: Status, reason: str = ""
) -> IncidentView:
    """Along the life cycle; intake's 409 names the allowed targets."""
    return await client.ask_as(
        ChangeStatus(
            principal=user.principal, incident_id=incident_id, status=status, reason=reason
        ),
        IncidentView,
    )


async def update_incident(
    client: RpcClient,
    user: User,
    incident_id: UUID,
    *,
    title: str | None = None,
    category_id: UUID | None = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
) -> IncidentView:
    """Staff: title, category, priority or channel (the SLA recomputes on the last
    three; a new channel moves the quota count)."""
    return await client.ask_as(
        UpdateIncident(
            principal=user.principal,
            incident_id=incident_id,
            title=title,
            category_id=category_id,
            priority=priority,
            channel=channel,
        ),
        IncidentView,
    )


async def rate_incident(
    client: RpcClient, user: User, incident_id: UUID, score: int, comment: str
) -> IncidentView:
    """The requester rates the service, 1–5 with a comment, once resolved."""
    return await client.ask_as(
        RateIncident(
            principal=user.principal, incident_id=incident_id, score=score, comment=comment
        ),
        IncidentView,
    )


async def attachment_file(
    service: Service, client: RpcClient, user: User, attachment_id: UUID
) -> tuple[AttachmentView, Blobs]:
    """An attachment within the reader's scope (one of an internal entry does not exist
    for a client) and the store that holds its bytes."""
    meta = await client.ask_as(
        GetAttachment(principal=user.principal, attachment_id=attachment_id), AttachmentView
    )
    store = blob_store(service.settings)
    if not await store.exists(meta.sha256):
        raise NotFoundException("the file is missing from the store")
    return meta, store
