"""Agents over the JSON API: the load board, the backlog, profiles (admin), presence (the
agent itself or an admin), reconciliation of loads, and assignment by hand."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.messages import BacklogItem, LoadsReconciled
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, patch, post, put

from ...accounts import User
from ...deps import Limit, Offset, gateway
from ...guards import admins_only, operators_only, signed_in, staff_only
from . import service
from .guards import self_or_admin
from .schemas import (
    Agent,
    AgentPage,
    AgentProfileBody,
    AgentProfilePatch,
    AssignBody,
    Assignment,
    BacklogPage,
    PresenceBody,
    WaitingIncident,
)


def _waiting(item: BacklogItem) -> WaitingIncident:
    return WaitingIncident(
        position=item.position,
        incident_id=item.incident_id,
        priority=item.priority,
        resolution_due=item.resolution_due,
        registered_at=item.registered_at,
        category_path=list(item.category_path),
        waiting_since=item.waiting_since,
        escalated_from=item.escalated_from,
        number=item.number,
        title=item.title,
    )


class AgentController(Controller):
    path = "/api/v1/agents"
    tags = ["agents"]
    guards = [signed_in]

    @get("/", operation_id="listAgents", guards=[staff_only])
    async def board(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> AgentPage:
        """Each agent's load, capacity, presence and last assignment (staff)."""
        page, names = await service.agent_board(
            gateway(request), client, limit=limit, offset=offset
        )
        return AgentPage(
            items=[service.agent_out(view, names) for view in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
        )

    @get("/backlog", operation_id="getBacklog", guards=[staff_only])
    async def backlog(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> BacklogPage:
        """Incidents waiting for a free, skilled agent, in the order they will be taken:
        priority, then resolution due time, then registration (staff)."""
        page = await service.backlog(client, limit=limit, offset=offset)
        return BacklogPage(
            items=[_waiting(item) for item in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
        )

    @post(
        "/reconcile",
        operation_id="reconcileAgentLoads",
        status_code=200,
        guards=[operators_only],
    )
    async def reconcile(self, user: User, client: RpcClient) -> LoadsReconciled:
        """Make routing's assignments, backlog and every agent's load agree with intake's
        incidents (admins and operators); answers what was found and corrected."""
        return await service.reconcile(client, user)

    @get("/{agent_id:uuid}", operation_id="getAgent", guards=[staff_only])
    async def one(
        self, request: Request[Any, Any, Any], agent_id: UUID, user: User, client: RpcClient
    ) -> Agent:
        return await service.one_agent(gateway(request), client, agent_id)

    @put("/{agent_id:uuid}", operation_id="putAgent", guards=[admins_only])
    async def replace(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: AgentProfileBody,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Create or replace a staff user's agent profile (admin)."""
        return await service.replace_profile(gateway(request), client, agent_id, data)

    @patch("/{agent_id:uuid}", operation_id="patchAgent", guards=[admins_only])
    async def change(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: AgentProfilePatch,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Change some fields of an existing profile (admin)."""
        return await service.change_profile(gateway(request), client, agent_id, data)

    @put(
        "/{agent_id:uuid}/presence",
        operation_id="putAgentPresence",
        guards=[staff_only, self_or_admin],
    )
    async def presence(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: PresenceBody,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Online, away or offline: set by the agent itself or by an admin."""
        return await service.set_presence(gateway(request), client, agent_id, data.presence)


class AssignmentController(Controller):
    path = "/api/v1/incidents/{incident_id:uuid}/assign"
    tags = ["incidents"]
    guards = [signed_in]

    @post("/", operation_id="assignIncident", status_code=200, guards=[staff_only])
    async def assign(
        self, incident_id: UUID, data: AssignBody, user: User, client: RpcClient
    ) -> Assignment:
        """Assign to the named agent (staff); `override` is for heads and admins."""
        made = await service.assign_by_hand(client, user, incident_id, data.agent_id, data.override)
        return Assignment(**made.model_dump())
