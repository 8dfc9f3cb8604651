"""Assignment by hand: staff give an incident to a named agent.

Routing decides under the agent's row lock and answers what happened. An agent who is
not online or has no free slot is refused with 409 unless `override` is set, which only
a head or an admin may do; an agent outside the category's skills is allowed (staff may
know better than the skill table) and the history says so.
"""

from __future__ import annotations

from uuid import UUID

from desk_contracts.enums import Role
from desk_contracts.messages import AssignByHand, AssignmentMade, GetIncident, IncidentView
from desk_runtime.rpc import RpcClient
from litestar import Controller, post
from litestar.di import Provide
from litestar.exceptions import HTTPException, PermissionDeniedException
from pydantic import BaseModel, ConfigDict

from ..accounts import User
from ..schemas import Flag
from .deps import current_user, require_staff, rpc

OVERRIDERS = (Role.HEAD, Role.ADMIN)


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: UUID
    # Exceed the agent's capacity or pick an agent who is not online (heads, admins).
    override: Flag = False


class Assignment(BaseModel):
    incident_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None
    changed: bool
    reason: str
    load: int
    capacity: int


async def assign_by_hand(
    client: RpcClient, user: User, incident_id: UUID, agent_id: UUID, override: bool = False
) -> AssignmentMade:
    """Staff give an open incident to a named agent (the API and the portal both)."""
    require_staff(user)
    if override and user.role not in OVERRIDERS:
        raise PermissionDeniedException("only a head or an admin may override")
    view = await client.ask_as(
        GetIncident(principal=user.principal, incident_id=incident_id), IncidentView
    )
    if not view.status.is_open:
        raise HTTPException(
            status_code=409, detail=f"a {view.status.value} incident cannot be assigned"
        )
    made = await client.ask_as(
        AssignByHand(
            incident_id=incident_id,
            agent_id=agent_id,
            actor_id=user.id,
            override=override,
            category_path=view.category_path,
            priority=view.priority,
            registered_at=view.created_at,
        ),
        AssignmentMade,
    )
    return made


class AssignmentController(Controller):
    path = "/api/v1/incidents/{incident_id:uuid}/assign"
    tags = ["incidents"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @post("/", operation_id="assignIncident", status_code=200)
    async def assign(
        self, incident_id: UUID, data: AssignBody, user: User, client: RpcClient
    ) -> Assignment:
        """Assign to the named agent (staff); `override` is for heads and admins."""
        made = await assign_by_hand(client, user, incident_id, data.agent_id, data.override)
        return Assignment(**made.model_dump())
