"""Routing handlers: profiles in, assignments out."""

from __future__ import annotations

import json
from pathlib import Path

from desk_contracts.enums import Status
from desk_contracts.messages import (
    AgentProfileChanged,
    IncidentRegistered,
    IncidentStatusChanged,
    UpsertAgentProfile,
)
from desk_runtime.service import Service, UnitOfWork

from . import assignment

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def register(service: Service) -> None:
    @service.handles(UpsertAgentProfile)
    async def upsert_profile(command: UpsertAgentProfile, uow: UnitOfWork) -> None:
        """Creates or changes an agent's skills, capacity, presence and group; the backlog
        is offered to agents who can now take more."""
        await uow.conn.execute(
            """
            INSERT INTO agents (agent_id, skills, capacity, presence, group_head_id)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (agent_id) DO UPDATE SET skills = EXCLUDED.skills,
                capacity = EXCLUDED.capacity, presence = EXCLUDED.presence,
                group_head_id = EXCLUDED.group_head_id, updated_at = now()
            """,
            command.agent_id,
            json.loads(json.dumps(command.skills)),
            command.capacity,
            command.presence.value,
            command.group_head_id,
        )
        await uow.publish(
            AgentProfileChanged(
                agent_id=command.agent_id,
                skills=command.skills,
                capacity=command.capacity,
                presence=command.presence,
                group_head_id=command.group_head_id,
            )
        )
        await assignment.drain_backlog(uow)

    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Assigns the new incident to the least-loaded eligible agent, or backlogs it."""
        await assignment.assign_new(
            uow,
            incident_id=event.incident_id,
            category_path=event.category_path,
            priority=event.priority,
            registered_at=event.registered_at,
        )

    @service.handles(IncidentStatusChanged)
    async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
        """Keeps loads true: resolved/closed frees the agent, a reopen takes it back."""
        if not event.status.is_open:
            if await assignment.release(uow, event.incident_id):
                await assignment.drain_backlog(uow)
        elif event.previous is Status.RESOLVED:
            await assignment.reopen(uow, event.incident_id)
