"""`/api/v1/equipment`: lists and devices in the reader's scope (a client: its
organization's; another organization's device is 404), staff recording and changing
devices, a device's notices, the CSV import (admins), and an organization's lead
times (`/api/v1/organizations/{id}/equipment-lead-times`)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, patch, post, put
from litestar.params import Parameter

from ...accounts import User
from ...deps import (
    CSRF_FIELD,
    READS_MULTIPART,
    Limit,
    Offset,
    check_pending_csrf,
    field_error,
    gateway,
    is_multipart,
)
from ...guards import admins_only, signed_in, staff_only
from ...web.render import reader_translator
from . import service
from .schemas import (
    Equipment,
    EquipmentPage,
    EquipmentPatch,
    ImportResult,
    LeadTimesBody,
    LeadTimesOut,
    NewEquipment,
    Notices,
)


def equipment_id_for(user: User, key: UUID | None) -> UUID:
    """A retried POST (same `Idempotency-Key`) records the device once."""
    if key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"equipment:{user.id}:{key}")


class EquipmentController(Controller):
    path = "/api/v1/equipment"
    tags = ["equipment"]
    guards = [signed_in]

    @get("/", operation_id="listEquipment")
    async def list_equipment(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        limit: Limit = 50,
        offset: Offset = 0,
        organization: UUID | None = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="serial number, model, maker")
        ] = None,
    ) -> EquipmentPage:
        """Equipment in the caller's scope (clients: their organization's), with whether
        each device is under warranty and service contract today."""
        return await service.find_equipment(
            client,
            gateway(request).pool,
            user,
            organization_id=organization,
            q=q,
            limit=limit,
            offset=offset,
        )

    @post("/", operation_id="createEquipment", status_code=201, guards=[staff_only])
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: NewEquipment,
        user: User,
        client: RpcClient,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> Equipment:
        """Staff: record a device; 409 when the manufacturer's serial number is recorded."""
        return await service.record(
            client,
            gateway(request).pool,
            user,
            data,
            equipment_id_for(user, idempotency_key),
            reader_translator(request, user),
        )

    @post(
        "/import",
        operation_id="importEquipment",
        status_code=200,
        guards=[admins_only],
        opt={READS_MULTIPART: True},
    )
    async def import_list(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        organization_id: UUID | None = None,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> ImportResult:
        """Admins: a CSV list of one organization's devices (the body as text/csv with
        `organization_id` in the query, or a multipart form with `file` and
        `organization_id`). Columns by name: model, manufacturer, serial_number
        (required), location, installed_on, warranty_until, service_contract_until,
        maintenance_interval_months, last_maintenance_on, notes; dates YYYY-MM-DD. The
        report lists the rows accepted and each rejected one with the column and the
        reason; a malformed file imports nothing (422 naming `file`)."""
        t = reader_translator(request, user)
        organization = organization_id
        if is_multipart(request):
            form = await request.form()
            token = form.get(CSRF_FIELD)
            check_pending_csrf(request, token if isinstance(token, str) else None)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise field_error("file", t("send the list as a CSV file"))
            data = await upload.read()
            named = form.get("organization_id")
            if organization is None and isinstance(named, str) and named.strip():
                try:
                    organization = UUID(named.strip())
                except ValueError:
                    raise field_error("organization_id", t("not an id")) from None
        else:
            data = await request.body()
        if organization is None:
            raise field_error("organization_id", t("is required"))
        return await service.import_list(
            client,
            gateway(request).pool,
            user,
            organization,
            data,
            service.import_key(user.id, idempotency_key),
            t,
        )

    @get("/{equipment_id:uuid}", operation_id="getEquipment")
    async def detail(
        self, request: Request[Any, Any, Any], equipment_id: UUID, user: User, client: RpcClient
    ) -> Equipment:
        """One device and its terms; 404 outside the caller's scope."""
        return await service.device(
            client, gateway(request).pool, user, equipment_id, reader_translator(request, user)
        )

    @patch("/{equipment_id:uuid}", operation_id="updateEquipment", guards=[staff_only])
    async def update(
        self,
        request: Request[Any, Any, Any],
        equipment_id: UUID,
        data: EquipmentPatch,
        user: User,
        client: RpcClient,
    ) -> Equipment:
        """Staff: change the fields sent; the device's notices follow the new dates."""
        return await service.change(
            client,
            gateway(request).pool,
            user,
            equipment_id,
            data,
            reader_translator(request, user),
        )

    @get("/{equipment_id:uuid}/notices", operation_id="listEquipmentNotices")
    async def notices(
        self, request: Request[Any, Any, Any], equipment_id: UUID, user: User, client: RpcClient
    ) -> Notices:
        """The notices the desk sent about the device, newest first."""
        return await service.notices(client, user, equipment_id, reader_translator(request, user))


class LeadTimesController(Controller):
    path = "/api/v1/organizations"
    tags = ["equipment"]
    guards = [signed_in, staff_only]

    @get("/{organization_id:uuid}/equipment-lead-times", operation_id="getEquipmentLeadTimes")
    async def read(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        user: User,
        client: RpcClient,
    ) -> LeadTimesOut:
        """Days before a warranty or service contract ends, and before a maintenance is
        due, that the organization's contacts are told (defaults 30, 60 and 0)."""
        return await service.lead_times(
            client, gateway(request).pool, organization_id, reader_translator(request, user)
        )

    @put("/{organization_id:uuid}/equipment-lead-times", operation_id="setEquipmentLeadTimes")
    async def write(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        data: LeadTimesBody,
        user: User,
        client: RpcClient,
    ) -> LeadTimesOut:
        """Managers, heads and admins: the lead times; every device's notices re-arm."""
        return await service.set_lead_times(
            client,
            gateway(request).pool,
            user,
            organization_id,
            data,
            reader_translator(request, user),
        )
