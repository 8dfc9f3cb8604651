"""Agents: the load board, the backlog, profiles (admin) and presence (the agent itself
or an admin). Routing owns profiles and loads; names come from our own users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from desk_contracts.enums import Presence, Priority, Role
from desk_contracts.messages import (
    AgentList,
    AgentView,
    Backlog,
    BacklogItem,
    Capacity,
    ChangeAgentProfile,
    GetBacklog,
    ListAgents,
    LoadsReconciled,
    ReconcileLoads,
)
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get, patch, post, put
from litestar.di import Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..accounts import User
from .deps import Limit, Offset, current_user, field_error, require_staff, rpc
from .ops import require_operator

# Reconciliation reads every open incident from intake under routing's locks.
RECONCILE_TIMEOUT_SECONDS = 60.0

CODE = r"^[a-z0-9][a-z0-9_-]*$"
# A skill is a category subtree as its path of codes from the root; [] covers everything.
SkillPath = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64, pattern=CODE)]],
    Field(max_length=3),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentProfileBody(_Body):
    """A whole profile (PUT); presence is kept when left out."""

    skills: list[SkillPath] = Field(max_length=200)
    capacity: Capacity
    group_head_id: UUID | None = None
    presence: Presence | None = None

    @field_validator("skills")
    @classmethod
    def _distinct(cls, value: list[list[str]]) -> list[list[str]]:
        return [list(path) for path in dict.fromkeys(tuple(path) for path in value)]


class AgentProfilePatch(_Body):
    """Only the fields sent change; `group_head_id: null` removes the head."""

    skills: list[SkillPath] | None = Field(default=None, max_length=200)
    capacity: Capacity | None = None
    group_head_id: UUID | None = None
    presence: Presence | None = None


class PresenceBody(_Body):
    presence: Presence


class Agent(BaseModel):
    id: UUID
    username: str | None
    display_name: str | None
    skills: list[list[str]]
    capacity: int
    load: int
    presence: Presence
    group_head_id: UUID | None
    last_assigned_at: datetime | None
    updated_at: datetime


class AgentPage(BaseModel):
    items: list[Agent]
    total: int
    limit: int
    offset: int


class WaitingIncident(BaseModel):
    position: int
    incident_id: UUID
    priority: Priority
    resolution_due: datetime | None
    registered_at: datetime
    category_path: list[str]
    waiting_since: datetime
    escalated_from: UUID | None


class BacklogPage(BaseModel):
    items: list[WaitingIncident]
    total: int
    limit: int
    offset: int


def _pool(request: Request[Any, Any, Any]) -> Any:
    service: Service = request.app.state.service
    return service.pool


async def _names(request: Request[Any, Any, Any], ids: list[UUID]) -> dict[UUID, Any]:
    rows = await _pool(request).fetch(
        "SELECT id, username, display_name FROM users WHERE id = ANY($1::uuid[])", ids
    )
    return {row["id"]: row for row in rows}


def _agent(view: AgentView, names: dict[UUID, Any]) -> Agent:
    name = names.get(view.agent_id)
    return Agent(
        id=view.agent_id,
        username=name["username"] if name else None,
        display_name=name["display_name"] if name else None,
        skills=[list(skill) for skill in view.skills],
        capacity=view.capacity,
        load=view.load,
        presence=view.presence,
        group_head_id=view.group_head_id,
        last_assigned_at=view.last_assigned_at,
        updated_at=view.updated_at,
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
    )


def _require_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise PermissionDeniedException("admin only")


class AgentController(Controller):
    path = "/api/v1/agents"
    tags = ["agents"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listAgents")
    async def board(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> AgentPage:
        """Each agent's load, capacity, presence and last assignment (staff)."""
        require_staff(user)
        page = await client.ask_as(ListAgents(limit=limit, offset=offset), AgentList)
        names = await _names(request, [view.agent_id for view in page.items])
        return AgentPage(
            items=[_agent(view, names) for view in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
        )

    @get("/backlog", operation_id="getBacklog")
    async def backlog(
        self, user: User, client: RpcClient, limit: Limit = 100, offset: Offset = 0
    ) -> BacklogPage:
        """Incidents waiting for a free, skilled agent, in the order they will be taken:
        priority, then resolution due time, then registration (staff)."""
        require_staff(user)
        page = await client.ask_as(GetBacklog(limit=limit, offset=offset), Backlog)
        return BacklogPage(
            items=[_waiting(item) for item in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
        )

    @post("/reconcile", operation_id="reconcileAgentLoads", status_code=200)
    async def reconcile(self, user: User, client: RpcClient) -> LoadsReconciled:
        """Make routing's assignments, backlog and every agent's load agree with intake's
        incidents (admins and operators); answers what was found and corrected."""
        require_operator(user)
        return await client.ask_as(
            ReconcileLoads(actor_id=user.id), LoadsReconciled, RECONCILE_TIMEOUT_SECONDS
        )

    @get("/{agent_id:uuid}", operation_id="getAgent")
    async def one(
        self, request: Request[Any, Any, Any], agent_id: UUID, user: User, client: RpcClient
    ) -> Agent:
        require_staff(user)
        page = await client.ask_as(ListAgents(agent_ids=(agent_id,), limit=1), AgentList)
        if not page.items:
            raise NotFoundException("no agent profile")
        return _agent(page.items[0], await _names(request, [agent_id]))

    @put("/{agent_id:uuid}", operation_id="putAgent")
    async def replace(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: AgentProfileBody,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Create or replace a staff user's agent profile (admin)."""
        _require_admin(user)
        await _check_people(request, agent_id, data.group_head_id)
        fields = ["skills", "capacity", "group_head_id"]
        if data.presence is not None:
            fields.append("presence")
        view = await client.ask_as(
            ChangeAgentProfile(
                agent_id=agent_id,
                fields=tuple(fields),
                create=True,
                skills=tuple(tuple(path) for path in data.skills),
                capacity=data.capacity,
                presence=data.presence or Presence.OFFLINE,
                group_head_id=data.group_head_id,
            ),
            AgentView,
        )
        return _agent(view, await _names(request, [agent_id]))

    @patch("/{agent_id:uuid}", operation_id="patchAgent")
    async def change(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: AgentProfilePatch,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Change some fields of an existing profile (admin)."""
        _require_admin(user)
        sent = data.model_fields_set
        for name in ("skills", "capacity", "presence"):
            if name in sent and getattr(data, name) is None:
                raise field_error(name, "must not be null")
        if not sent:
            raise field_error("body", "name at least one field to change")
        await _check_people(request, agent_id, data.group_head_id)
        view = await client.ask_as(
            ChangeAgentProfile(
                agent_id=agent_id,
                fields=tuple(sorted(sent)),
                skills=tuple(tuple(path) for path in data.skills or ()),
                capacity=data.capacity if data.capacity is not None else 10,
                presence=data.presence or Presence.OFFLINE,
                group_head_id=data.group_head_id,
            ),
            AgentView,
        )
        return _agent(view, await _names(request, [agent_id]))

    @put("/{agent_id:uuid}/presence", operation_id="putAgentPresence")
    async def presence(
        self,
        request: Request[Any, Any, Any],
        agent_id: UUID,
        data: PresenceBody,
        user: User,
        client: RpcClient,
    ) -> Agent:
        """Online, away or offline: set by the agent itself or by an admin."""
        require_staff(user)
        if user.id != agent_id and user.role is not Role.ADMIN:
            raise PermissionDeniedException("only the agent itself or an admin sets presence")
        view = await client.ask_as(
            ChangeAgentProfile(agent_id=agent_id, fields=("presence",), presence=data.presence),
            AgentView,
        )
        return _agent(view, await _names(request, [agent_id]))


async def _check_people(
    request: Request[Any, Any, Any], agent_id: UUID, group_head_id: UUID | None
) -> None:
    """Profiles belong to active staff users; a group head is a head or an admin."""
    pool = _pool(request)
    agent_role = await pool.fetchval("SELECT role FROM users WHERE id = $1 AND active", agent_id)
    if agent_role is None or not Role(agent_role).is_staff:
        raise NotFoundException("no such staff user")
    if group_head_id is not None:
        head_role = await pool.fetchval(
            "SELECT role FROM users WHERE id = $1 AND active", group_head_id
        )
        if head_role not in (Role.HEAD.value, Role.ADMIN.value):
            raise field_error("group_head_id", "must be an active head or admin")
