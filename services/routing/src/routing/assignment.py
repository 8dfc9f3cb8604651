"""Assignment under row locks: every online agent's row is locked (in id order, so two
instances never deadlock) before the choice, which makes the load we compare the load we
write — no agent exceeds capacity and no incident gets two assignees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Presence, Priority
from desk_contracts.messages import IncidentAssigned
from desk_runtime.service import UnitOfWork

from .domain import AgentState, Choice, WaitingIncident, choose_agent, plan_backlog


async def lock_online_agents(conn: asyncpg.Connection) -> list[AgentState]:
    rows = await conn.fetch(
        "SELECT * FROM agents WHERE presence = $1 ORDER BY agent_id FOR UPDATE",
        Presence.ONLINE.value,
    )
    return [agent_state(row) for row in rows]


def agent_state(row: asyncpg.Record) -> AgentState:
    return AgentState(
        agent_id=row["agent_id"],
        presence=Presence(row["presence"]),
        skills=tuple(tuple(skill) for skill in row["skills"]),
        capacity=row["capacity"],
        load=row["load"],
        last_assigned_at=row["last_assigned_at"],
    )


async def record_assignment(
    uow: UnitOfWork,
    *,
    incident_id: UUID,
    choice: Choice,
    category_path: Sequence[str],
    priority: Priority,
    registered_at: datetime,
    at: datetime,
    previous_agent_id: UUID | None = None,
    manual: bool = False,
) -> None:
    conn = uow.conn
    await conn.execute(
        "UPDATE agents SET load = load + 1, last_assigned_at = $2 WHERE agent_id = $1",
        choice.agent_id,
        at,
    )
    await conn.execute(
        """
        INSERT INTO assignments (incident_id, agent_id, category_path, priority, registered_at,
            assigned_at, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (incident_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,
            assigned_at = EXCLUDED.assigned_at, reason = EXCLUDED.reason, is_open = true
        """,
        incident_id,
        choice.agent_id,
        list(category_path),
        priority.value,
        registered_at,
        at,
        choice.reason,
    )
    await conn.execute("DELETE FROM backlog WHERE incident_id = $1", incident_id)
    await uow.publish(
        IncidentAssigned(
            incident_id=incident_id,
            agent_id=choice.agent_id,
            previous_agent_id=previous_agent_id,
            reason=choice.reason,
            assigned_at=at,
            manual=manual,
        )
    )


async def assign_new(
    uow: UnitOfWork,
    *,
    incident_id: UUID,
    category_path: Sequence[str],
    priority: Priority,
    registered_at: datetime,
) -> Choice | None:
    """Assign to the least-loaded eligible agent, or put the incident in the backlog."""
    agents = await lock_online_agents(uow.conn)
    already = await uow.conn.fetchval(
        "SELECT 1 FROM assignments WHERE incident_id = $1", incident_id
    )
    if already:
        return None
    choice = choose_agent(agents, category_path)
    if choice is None:
        await uow.conn.execute(
            """
            INSERT INTO backlog (incident_id, category_path, priority, priority_rank,
                registered_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO NOTHING
            """,
            incident_id,
            list(category_path),
            priority.value,
            priority.rank,
            registered_at,
        )
        return None
    await record_assignment(
        uow,
        incident_id=incident_id,
        choice=choice,
        category_path=category_path,
        priority=priority,
        registered_at=registered_at,
        at=utc_now(),
    )
    return choice


async def drain_backlog(uow: UnitOfWork) -> int:
    """Give waiting incidents to agents who can take them now, in backlog order."""
    agents = await lock_online_agents(uow.conn)
    rows = await uow.conn.fetch(
        "SELECT * FROM backlog ORDER BY priority_rank, resolution_due NULLS LAST, registered_at "
        "FOR UPDATE SKIP LOCKED"
    )
    if not rows or not agents:
        return 0
    waiting = {
        row["incident_id"]: WaitingIncident(
            incident_id=row["incident_id"],
            priority=Priority(row["priority"]),
            resolution_due=row["resolution_due"],
            registered_at=row["registered_at"],
            category_path=tuple(row["category_path"]),
        )
        for row in rows
    }
    now = utc_now()
    plan = plan_backlog(waiting.values(), agents, now)
    for incident_id, choice in plan:
        item = waiting[incident_id]
        await record_assignment(
            uow,
            incident_id=incident_id,
            choice=choice,
            category_path=item.category_path,
            priority=item.priority,
            registered_at=item.registered_at,
            at=now,
        )
    return len(plan)


async def release(uow: UnitOfWork, incident_id: UUID) -> bool:
    """The incident stopped counting towards its agent's load (resolved or closed)."""
    agent_id = await uow.conn.fetchval(
        "UPDATE assignments SET is_open = false WHERE incident_id = $1 AND is_open "
        "RETURNING agent_id",
        incident_id,
    )
    if agent_id is None:
        return False
    await uow.conn.execute(
        "UPDATE agents SET load = greatest(load - 1, 0) WHERE agent_id = $1", agent_id
    )
    return True


async def reopen(uow: UnitOfWork, incident_id: UUID) -> bool:
    agent_id = await uow.conn.fetchval(
        "UPDATE assignments SET is_open = true WHERE incident_id = $1 AND NOT is_open "
        "RETURNING agent_id",
        incident_id,
    )
    if agent_id is None:
        return False
    await uow.conn.execute("UPDATE agents SET load = load + 1 WHERE agent_id = $1", agent_id)
    return True
