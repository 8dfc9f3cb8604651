"""Incidents: filing, reading, working."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from desk_contracts.enums import Channel, Role
from desk_contracts.messages import CreateIncident, GetIncident, IncidentCreated, IncidentView
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.params import Parameter

from ..accounts import User
from ..schemas import Created, Entry, Incident, NewIncident
from .deps import current_user, field_error, rpc


class IncidentController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @post("/", operation_id="createIncident", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: NewIncident,
        user: User,
        client: RpcClient,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> Created:
        """File an incident. Clients file for themselves; staff may name the requester."""
        requester_id, organization_id = user.id, user.organization_id
        if user.role is Role.CLIENT:
            if data.requester_id not in (None, user.id):
                raise PermissionDeniedException("clients file incidents for themselves")
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
        created = await client.ask(
            CreateIncident(
                request_id=idempotency_key or uuid4(),
                principal=user.principal,
                requester_id=requester_id,
                organization_id=organization_id,
                title=data.title,
                description=data.description,
                category_id=data.category_id,
                priority=data.priority,
                channel=data.channel or Channel.API,
            )
        )
        assert isinstance(created, IncidentCreated)
        return Created(id=created.incident_id, number=created.number)

    @get("/{incident_id:uuid}", operation_id="getIncident")
    async def detail(self, incident_id: UUID, user: User, client: RpcClient) -> Incident:
        """The incident with its history; clients see public entries only."""
        view = await client.ask(GetIncident(principal=user.principal, incident_id=incident_id))
        assert isinstance(view, IncidentView)
        return _incident(view)


def _incident(view: IncidentView) -> Incident:
    data = view.model_dump()
    data["id"] = data.pop("incident_id")
    data["entries"] = [
        Entry(
            id=e.entry_id,
            kind=e.kind,
            visibility=e.visibility,
            author_id=e.author_id,
            text=e.text,
            created_at=e.created_at,
        )
        for e in view.entries
    ]
    return Incident.model_validate(data)
