"""Agent profiles: written by command or by an admin's change, followed from users, and
the load board."""

from __future__ import annotations

from desk_contracts.messages import (
    AgentList,
    AgentView,
    ChangeAgentProfile,
    ListAgents,
    UpsertAgentProfile,
    UserUpserted,
)
from desk_runtime.handlers import Handlers
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from .. import profiles, store

handlers = Handlers()
log = get_logger(__name__)


@handlers.handles(UpsertAgentProfile)
async def upsert_profile(command: UpsertAgentProfile, uow: UnitOfWork) -> None:
    """Creates or replaces an agent's skills, capacity, presence and group head."""
    await profiles.upsert_profile(uow, command)


@handlers.handles(UserUpserted)
async def on_user(event: UserUpserted, uow: UnitOfWork) -> None:
    """A user deactivated, or no longer staff, takes no more work (their incidents are
    handed over); active staff again may go online."""
    await profiles.follow_user(uow, event)


@handlers.answers(ChangeAgentProfile)
async def change_profile(request: ChangeAgentProfile, service: Service) -> AgentView:
    """Applies the named profile fields under the agent's lock, then drains the
    backlog; answers the profile as it stands after that."""
    async with service.transaction() as uow:
        view = await profiles.change_profile(uow, request)
    log.info("agent_profile_changed", agent_id=str(request.agent_id), fields=request.fields)
    return view


@handlers.answers(ListAgents)
async def list_agents(request: ListAgents, service: Service) -> AgentList:
    """The load board: load, capacity, presence and last assignment of each agent."""
    ids = list(request.agent_ids) if request.agent_ids is not None else None
    rows, total = await store.agents_page(service.pool, ids, request.limit, request.offset)
    return AgentList(items=tuple(profiles.agent_view(row) for row in rows), total=total)
