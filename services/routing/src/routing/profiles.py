"""Agent profile use cases: writing a profile (then offering the backlog to whoever can
take more now), changing some of its fields, and a user who may no longer take work
handing over their incidents. The SQL is `store`."""

from __future__ import annotations

from typing import Any

import asyncpg
from desk_contracts.enums import Presence
from desk_contracts.messages import (
    AgentProfileChanged,
    AgentView,
    ChangeAgentProfile,
    UpsertAgentProfile,
    UserUpserted,
)
from desk_runtime.errors import Conflict, NotFound
from desk_runtime.logging import get_logger
from desk_runtime.service import UnitOfWork

from . import assignment, store

log = get_logger(__name__)


def _profile(row: asyncpg.Record) -> dict[str, Any]:
    """The profile's own fields as its row now stands."""
    return {
        "agent_id": row["agent_id"],
        "skills": tuple(tuple(skill) for skill in row["skills"]),
        "capacity": row["capacity"],
        "presence": Presence(row["presence"]),
        "group_head_id": row["group_head_id"],
    }


def agent_view(row: asyncpg.Record) -> AgentView:
    return AgentView(
        **_profile(row),
        load=row["load"],
        last_assigned_at=row["last_assigned_at"],
        updated_at=row["updated_at"],
    )


def profile_changed(row: asyncpg.Record) -> AgentProfileChanged:
    """The announcement of an agent's profile as its row now stands."""
    return AgentProfileChanged(**_profile(row))


async def save_profile(uow: UnitOfWork, profile: UpsertAgentProfile) -> None:
    """Write the profile (its row already locked), announce it and offer the backlog to
    whoever can take more now (came online, gained a skill or capacity)."""
    row = await store.save_profile(uow.conn, profile)
    await uow.publish(profile_changed(row))
    await assignment.drain_backlog(uow)


async def upsert_profile(uow: UnitOfWork, profile: UpsertAgentProfile) -> None:
    """The whole profile, under the placements' lock taken alone, then the agent's."""
    await store.lock_agents_to_change_profile(uow.conn, profile.agent_id)
    await save_profile(uow, profile)


async def change_profile(uow: UnitOfWork, request: ChangeAgentProfile) -> AgentView:
    """Apply the named profile fields under the agent's lock, then drain the backlog;
    the profile as it stands after that."""
    await store.lock_agents_to_change_profile(uow.conn, request.agent_id)
    row = await store.agent(uow.conn, request.agent_id)
    if row is None and not request.create:
        raise NotFound("no agent profile")
    current = (
        UpsertAgentProfile(agent_id=request.agent_id)
        if row is None
        else UpsertAgentProfile(**_profile(row))
    )
    changed = current.model_copy(update={name: getattr(request, name) for name in request.fields})
    if row is not None and not row["active"] and changed.presence is not Presence.OFFLINE:
        raise Conflict("the agent's user is deactivated: they stay offline")
    await save_profile(uow, changed)
    saved = await store.agent(uow.conn, request.agent_id)
    assert saved is not None  # written just now, under its lock
    return agent_view(saved)


async def follow_user(uow: UnitOfWork, user: UserUpserted) -> None:
    """A user deactivated, or no longer staff, takes no more work: their profile goes
    offline for good and each of their open incidents goes to the least-loaded colleague
    (or waits in the backlog, never handed back). Active staff again: the profile may go
    online once more."""
    await store.remember_name(uow.conn, user.user_id, user.display_name)
    active = user.active and user.role.is_staff
    known = await store.agent_active(uow.conn, user.user_id)
    if known is None or known == active:
        return  # no profile, or nothing changes for routing
    # The hand-over may put incidents in the backlog.
    await store.lock_agents_to_place(uow.conn, also=[user.user_id])
    row = await store.set_active(uow.conn, user.user_id, active)
    await uow.publish(profile_changed(row))
    if active:
        return
    held = await store.held_by(uow.conn, user.user_id)
    for incident_id in held:
        await assignment.reassign(
            uow, incident_id, "handed over: the agent was deactivated", "handover"
        )
    log.info("agent_deactivated", agent_id=str(user.user_id), incidents_moved=len(held))
