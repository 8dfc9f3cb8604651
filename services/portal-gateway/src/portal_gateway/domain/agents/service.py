"""Agent use cases: the load board and the backlog (staff), profiles (admins), presence
(the agent itself or an admin), reconciliation (admins and operators) and assignment by
hand. Routing owns profiles, loads and assignments; names come from our own users.

Assignment by hand: routing decides under the agent's row lock and answers what
happened. An agent who is not online or has no free slot is refused with 409 unless
`override` is set, which only a head or an admin may do; an agent outside the
category's skills is allowed (staff may know better than the skill table) and the
history says so."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts.enums import Presence, Role
from desk_contracts.messages import (
    AgentList,
    AgentView,
    AssignByHand,
    AssignmentMade,
    Backlog,
    ChangeAgentProfile,
    GetBacklog,
    ListAgents,
    LoadsReconciled,
    ReconcileLoads,
)
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar.exceptions import HTTPException, NotFoundException

from ...accounts import User
from ...deps import field_error
from ..accounts.service import active_role, names_of
from ..incidents.service import visible_incident
from .schemas import Agent, AgentProfileBody, AgentProfilePatch

# Reconciliation reads every open incident from intake under routing's locks.
RECONCILE_TIMEOUT_SECONDS = 60.0

OVERRIDERS = (Role.HEAD, Role.ADMIN)


def agent_out(view: AgentView, names: dict[UUID, Any]) -> Agent:
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


async def agent_board(
    service: Service, client: RpcClient, *, limit: int, offset: int = 0
) -> tuple[AgentList, dict[UUID, asyncpg.Record]]:
    """Each agent's load, capacity and presence, with the names of the agents."""
    page = await client.ask_as(ListAgents(limit=limit, offset=offset), AgentList)
    return page, await names_of(service.pool, [view.agent_id for view in page.items])


async def backlog(client: RpcClient, *, limit: int, offset: int = 0) -> Backlog:
    """Incidents waiting for a free, skilled agent, in the order they will be taken."""
    return await client.ask_as(GetBacklog(limit=limit, offset=offset), Backlog)


async def reconcile(client: RpcClient, user: User) -> LoadsReconciled:
    return await client.ask_as(
        ReconcileLoads(actor_id=user.id), LoadsReconciled, RECONCILE_TIMEOUT_SECONDS
    )


async def _named(service: Service, view: AgentView) -> Agent:
    return agent_out(view, await names_of(service.pool, [view.agent_id]))


async def one_agent(service: Service, client: RpcClient, agent_id: UUID) -> Agent:
    page = await client.ask_as(ListAgents(agent_ids=(agent_id,), limit=1), AgentList)
    if not page.items:
        raise NotFoundException("no agent profile")
    return await _named(service, page.items[0])


async def _check_people(service: Service, agent_id: UUID, group_head_id: UUID | None) -> None:
    """Profiles belong to active staff users; a group head is a head or an admin."""
    agent_role = await active_role(service.pool, agent_id)
    if agent_role is None or not agent_role.is_staff:
        raise NotFoundException("no such staff user")
    if group_head_id is not None and (
        await active_role(service.pool, group_head_id) not in OVERRIDERS
    ):
        raise field_error("group_head_id", "must be an active head or admin")


async def replace_profile(
    service: Service, client: RpcClient, agent_id: UUID, data: AgentProfileBody
) -> Agent:
    """Create or replace a staff user's agent profile; presence is kept when left out."""
    await _check_people(service, agent_id, data.group_head_id)
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
    return await _named(service, view)


async def change_profile(
    service: Service, client: RpcClient, agent_id: UUID, data: AgentProfilePatch
) -> Agent:
    """Change only the fields sent of an existing profile."""
    sent = data.model_fields_set
    for name in ("skills", "capacity", "presence"):
        if name in sent and getattr(data, name) is None:
            raise field_error(name, "must not be null")
    if not sent:
        raise field_error("body", "name at least one field to change")
    await _check_people(service, agent_id, data.group_head_id)
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
    return await _named(service, view)


async def set_presence(
    service: Service, client: RpcClient, agent_id: UUID, presence: Presence
) -> Agent:
    view = await client.ask_as(
        ChangeAgentProfile(agent_id=agent_id, fields=("presence",), presence=presence),
        AgentView,
    )
    return await _named(service, view)


async def assign_by_hand(
    client: RpcClient, user: User, incident_id: UUID, agent_id: UUID, override: bool = False
) -> AssignmentMade:
    """Staff give an open incident to a named agent (the API and the portal both)."""
    view = await visible_incident(client, user, incident_id)
    if not view.status.is_open:
        raise HTTPException(
            status_code=409, detail=f"a {view.status.value} incident cannot be assigned"
        )
    made = await client.ask_as(
        AssignByHand(
            incident_id=incident_id,
            agent_id=agent_id,
            principal=user.principal,
            override=override,
            category_path=view.category_path,
            priority=view.priority,
            registered_at=view.created_at,
        ),
        AssignmentMade,
    )
    return made
