"""Routing's tables, and the only module that speaks SQL to them.

Locks first: every decision locks the rows of all online agents (plus any other agent it
will touch) in agent-id order, in one statement, so two instances never deadlock and
never decide on the same loads. Then the agents, the assignments, the backlog, the
arrivals, the incidents' last known state and their resolution due times.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg
from desk_contracts.enums import Presence, Priority
from desk_contracts.messages import UpsertAgentProfile

from .domain import AgentState, WaitingIncident

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

# An advisory lock key of routing's own: placements share it, profile changes take it
# alone. A placement reads "who is online" once, when it locks the agents; an agent who
# comes online meanwhile is not in that set, and the backlog drain of their profile
# change ran before the placement's backlog row existed. Taken before the agents' rows
# (every holder does so), it makes each see the other's outcome.
PLACEMENTS_LOCK = 0x726F7574696E67  # "routing"

# The backlog with each incident's resolution due, read where routing keeps what sla
# announced (never copied into the backlog row: a copy could miss an announcement that
# arrives while the incident is being backlogged).
BACKLOG_FROM = "backlog b LEFT JOIN incident_deadlines d USING (incident_id)"
# The backlog as people read it: with each incident's number and title.
BACKLOG_NAMED_FROM = f"{BACKLOG_FROM} LEFT JOIN incident_names n USING (incident_id)"
BACKLOG_ORDER = "b.priority_rank, d.resolution_due NULLS LAST, b.registered_at, b.incident_id"


@dataclass(frozen=True)
class IncidentFacts:
    """What routing needs to know about an incident to place it."""

    incident_id: UUID
    category_path: tuple[str, ...]
    priority: Priority
    registered_at: datetime


@dataclass(frozen=True)
class Decision:
    """One incident booked on one agent, and why."""

    incident: IncidentFacts
    agent_id: UUID
    reason: str
    previous_agent_id: UUID | None = None
    manual: bool = False


def _facts(row: asyncpg.Record) -> IncidentFacts:
    return IncidentFacts(
        row["incident_id"],
        tuple(row["category_path"]),
        Priority(row["priority"]),
        row["registered_at"],
    )


# --- locks --------------------------------------------------------------------------------


async def lock_agents(conn: asyncpg.Connection, also: Collection[UUID] = ()) -> list[AgentState]:
    """Lock every online agent and the agents in `also`, always in id order."""
    rows = await conn.fetch(
        "SELECT * FROM agents WHERE presence = $1 OR agent_id = ANY($2::uuid[]) "
        "ORDER BY agent_id FOR UPDATE",
        Presence.ONLINE.value,
        list(also),
    )
    return [agent_state(row) for row in rows]


async def lock_agents_to_place(
    conn: asyncpg.Connection, also: Collection[UUID] = ()
) -> list[AgentState]:
    """`lock_agents` for a decision that may put incidents in the backlog: first the
    placements' shared lock, so a profile change in flight is waited out."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", PLACEMENTS_LOCK)
    return await lock_agents(conn, also)


async def lock_agents_to_change_profile(
    conn: asyncpg.Connection, agent_id: UUID
) -> list[AgentState]:
    """`lock_agents` for a profile change: first the placements' lock alone, so the
    drain that follows the change sees what the placements in flight backlogged."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", PLACEMENTS_LOCK)
    return await lock_agents(conn, also=[agent_id])


async def lock_every_agent(conn: asyncpg.Connection) -> set[UUID]:
    """Every agent's row, in id order (a recount or a reconciliation); their ids."""
    rows = await conn.fetch("SELECT agent_id FROM agents ORDER BY agent_id FOR UPDATE")
    return {row["agent_id"] for row in rows}


async def lock_incidents(conn: asyncpg.Connection, ids: Collection[UUID]) -> None:
    """Serialize decisions on these incidents (after the agents' locks, in id order):
    with nobody online a placement locks no agent, and an assignment by hand racing it
    would otherwise leave the incident both assigned and in the backlog."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(i::text, 0)) "
        "FROM unnest($1::uuid[]) AS i ORDER BY i",
        sorted(ids),
    )


# --- agents -------------------------------------------------------------------------------


def agent_state(row: asyncpg.Record) -> AgentState:
    return AgentState(
        agent_id=row["agent_id"],
        presence=Presence(row["presence"]),
        skills=tuple(tuple(skill) for skill in row["skills"]),
        capacity=row["capacity"],
        load=row["load"],
        last_assigned_at=row["last_assigned_at"],
        active=row["active"],
        name=row["display_name"],
    )


def skills_json(skills: Sequence[Sequence[str]]) -> list[list[str]]:
    return [list(skill) for skill in skills]


async def remember_name(conn: asyncpg.Connection, user_id: UUID, display_name: str) -> None:
    """A user's name as it now stands, for their profile whether it exists yet or not."""
    await conn.execute(
        "INSERT INTO user_names (user_id, display_name) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name",
        user_id,
        display_name,
    )
    await conn.execute(
        "UPDATE agents SET display_name = $2 WHERE agent_id = $1 AND display_name <> $2",
        user_id,
        display_name,
    )


async def name_of(db: Db, user_id: UUID) -> str | None:
    name: str | None = await db.fetchval(
        "SELECT display_name FROM user_names WHERE user_id = $1", user_id
    )
    return name


async def agent(db: Db, agent_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM agents WHERE agent_id = $1", agent_id)


async def agent_load(conn: asyncpg.Connection, agent_id: UUID) -> int:
    return int(await conn.fetchval("SELECT load FROM agents WHERE agent_id = $1", agent_id))


async def agent_active(conn: asyncpg.Connection, agent_id: UUID) -> bool | None:
    """Whether the agent's user may take work; None without a profile."""
    active: bool | None = await conn.fetchval(
        "SELECT active FROM agents WHERE agent_id = $1", agent_id
    )
    return active


async def group_head(conn: asyncpg.Connection, agent_id: UUID) -> UUID | None:
    head: UUID | None = await conn.fetchval(
        "SELECT group_head_id FROM agents WHERE agent_id = $1", agent_id
    )
    return head


async def save_profile(conn: asyncpg.Connection, profile: UpsertAgentProfile) -> asyncpg.Record:
    """Write the profile (its row already locked); the row as it now stands."""
    row: asyncpg.Record = await conn.fetchrow(
        """
        INSERT INTO agents (agent_id, skills, capacity, presence, group_head_id, display_name)
        VALUES ($1, $2, $3, $4, $5,
            coalesce((SELECT display_name FROM user_names WHERE user_id = $1), ''))
        ON CONFLICT (agent_id) DO UPDATE SET skills = EXCLUDED.skills,
            capacity = EXCLUDED.capacity,
            -- A deactivated user stays offline, whatever the profile says.
            presence = CASE WHEN agents.active THEN EXCLUDED.presence ELSE 'offline' END,
            group_head_id = EXCLUDED.group_head_id, updated_at = now()
        RETURNING *
        """,
        profile.agent_id,
        skills_json(profile.skills),
        profile.capacity,
        profile.presence.value,
        profile.group_head_id,
    )
    return row


async def set_active(conn: asyncpg.Connection, agent_id: UUID, active: bool) -> asyncpg.Record:
    """May the agent take work; one who may not goes offline. The row as it now stands."""
    row: asyncpg.Record = await conn.fetchrow(
        "UPDATE agents SET active = $2, "
        "presence = CASE WHEN $2 THEN presence ELSE 'offline' END, updated_at = now() "
        "WHERE agent_id = $1 RETURNING *",
        agent_id,
        active,
    )
    return row


async def agents_page(
    pool: asyncpg.Pool, ids: list[UUID] | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """A page of agents by id (all of them, or those in `ids`) and how many there are."""
    rows = await pool.fetch(
        "SELECT *, count(*) OVER () AS total FROM agents "
        "WHERE $1::uuid[] IS NULL OR agent_id = ANY($1::uuid[]) "
        "ORDER BY agent_id LIMIT $2 OFFSET $3",
        ids,
        limit,
        offset,
    )
    if rows:
        return rows, rows[0]["total"]
    total = await pool.fetchval(
        "SELECT count(*) FROM agents WHERE $1::uuid[] IS NULL OR agent_id = ANY($1)", ids
    )
    return rows, total


async def loads_and_capacities(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch("SELECT agent_id, load, capacity FROM agents")
    return rows


async def recount_loads(conn: asyncpg.Connection) -> list[tuple[UUID, int, int]]:
    """Set each agent's load to its open assignments (every agent's row locked by the
    caller); returns (agent, old, new) of every corrected agent."""
    rows = await conn.fetch(
        """
        WITH counted AS (
            SELECT a.agent_id, a.load AS old,
                (SELECT count(*) FROM assignments s
                 WHERE s.agent_id = a.agent_id AND s.is_open)::int AS new
            FROM agents a
        )
        UPDATE agents SET load = counted.new FROM counted
        WHERE agents.agent_id = counted.agent_id AND counted.old <> counted.new
        RETURNING agents.agent_id, counted.old, counted.new
        """
    )
    return [(row["agent_id"], row["old"], row["new"]) for row in rows]


# --- assignments --------------------------------------------------------------------------

# One statement per decision: relieve the previous assignee, charge the new one, book the
# incident and take it off the backlog (round trips are what an assignment costs).
_BOOK = """
    WITH relieved AS (
        UPDATE agents SET load = greatest(load - 1, 0) WHERE agent_id = $9
    ), charged AS (
        UPDATE agents SET load = load + 1, last_assigned_at = $6 WHERE agent_id = $2
    ), unqueued AS (
        DELETE FROM backlog WHERE incident_id = $1
    )
    INSERT INTO assignments (incident_id, agent_id, category_path, priority, registered_at,
        assigned_at, reason, manual)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (incident_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,
        assigned_at = EXCLUDED.assigned_at, reason = EXCLUDED.reason, is_open = true,
        manual = EXCLUDED.manual
"""


async def book(conn: asyncpg.Connection, decisions: Sequence[Decision], at: datetime) -> None:
    """Book each decision (rows already locked), in one pipelined round trip."""
    await conn.executemany(
        _BOOK,
        [
            (
                d.incident.incident_id,
                d.agent_id,
                list(d.incident.category_path),
                d.incident.priority.value,
                d.incident.registered_at,
                at,
                d.reason,
                d.manual,
                d.previous_agent_id,
            )
            for d in decisions
        ],
    )


async def assignee(
    conn: asyncpg.Connection, incident_id: UUID, *, is_open: bool | None = None
) -> UUID | None:
    """Who the incident is booked on: while it counts towards their load (`is_open`),
    since it was resolved or closed (not `is_open`), or either way (None)."""
    agent_id: UUID | None = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 "
        "AND ($2::bool IS NULL OR is_open = $2)",
        incident_id,
        is_open,
    )
    return agent_id


async def still_assigned(
    conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID
) -> UUID | None:
    """`agent_id` if it is still the incident's open assignee."""
    found: UUID | None = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open AND agent_id = $2",
        incident_id,
        agent_id,
    )
    return found


async def lock_assignment(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record | None:
    """The incident's assignment row (agent, open or not), locked."""
    return await conn.fetchrow(
        "SELECT agent_id, is_open FROM assignments WHERE incident_id = $1 FOR UPDATE",
        incident_id,
    )


async def lock_open_assignment(
    conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID
) -> IncidentFacts | None:
    """The incident, locked, if it is still open on `agent_id`."""
    row = await conn.fetchrow(
        "SELECT * FROM assignments WHERE incident_id = $1 AND is_open AND agent_id = $2 FOR UPDATE",
        incident_id,
        agent_id,
    )
    return _facts(row) if row is not None else None


async def held_by(conn: asyncpg.Connection, agent_id: UUID) -> list[UUID]:
    """The incidents open on the agent, oldest assignment first."""
    rows = await conn.fetch(
        "SELECT incident_id FROM assignments WHERE agent_id = $1 AND is_open ORDER BY assigned_at",
        agent_id,
    )
    return [row["incident_id"] for row in rows]


async def close_assignment(conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID) -> bool:
    """The incident stops counting towards `agent_id`'s load, if it still did."""
    released = await conn.fetchval(
        "UPDATE assignments SET is_open = false WHERE incident_id = $1 AND is_open "
        "AND agent_id = $2 RETURNING agent_id",
        incident_id,
        agent_id,
    )
    if released is None:
        return False
    await conn.execute(
        "UPDATE agents SET load = greatest(load - 1, 0) WHERE agent_id = $1", agent_id
    )
    return True


async def reopen_assignment(conn: asyncpg.Connection, incident_id: UUID, agent_id: UUID) -> bool:
    """The incident counts towards `agent_id`'s load again, if it was theirs and closed."""
    reopened = await conn.fetchval(
        "UPDATE assignments SET is_open = true WHERE incident_id = $1 AND NOT is_open "
        "AND agent_id = $2 RETURNING agent_id",
        incident_id,
        agent_id,
    )
    if reopened is None:
        return False
    await conn.execute("UPDATE agents SET load = load + 1 WHERE agent_id = $1", agent_id)
    return True


async def reclassify(
    conn: asyncpg.Connection, incident_id: UUID, category_path: tuple[str, ...], priority: Priority
) -> tuple[bool, bool, bool]:
    """A new category and priority wherever routing keeps the incident: whether it was
    (booked, among the arrivals, in the backlog)."""
    path = list(category_path)
    placed = await conn.execute(
        "UPDATE assignments SET category_path = $2, priority = $3 WHERE incident_id = $1",
        incident_id,
        path,
        priority.value,
    )
    queued = await conn.execute(
        "UPDATE arrivals SET category_path = $2, priority = $3 WHERE incident_id = $1",
        incident_id,
        path,
        priority.value,
    )
    backlogged = await conn.fetchval(
        "UPDATE backlog SET category_path = $2, priority = $3, priority_rank = $4 "
        "WHERE incident_id = $1 RETURNING true",
        incident_id,
        path,
        priority.value,
        priority.rank,
    )
    return placed != "UPDATE 0", queued != "UPDATE 0", bool(backlogged)


# --- waiting: backlog and arrivals --------------------------------------------------------


async def add_to_backlog(
    conn: asyncpg.Connection, incident: IncidentFacts, escalated_from: UUID | None
) -> bool:
    """Let the incident wait (marked with the assignee it escalated from); whether it
    was not waiting before."""
    inserted = await conn.fetchval(
        """
        INSERT INTO backlog (incident_id, category_path, priority, priority_rank,
            registered_at, escalated_from)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (incident_id) DO UPDATE SET escalated_from = EXCLUDED.escalated_from
        RETURNING (xmax = 0)
        """,
        incident.incident_id,
        list(incident.category_path),
        incident.priority.value,
        incident.priority.rank,
        incident.registered_at,
        escalated_from,
    )
    return bool(inserted)


async def escalated_assignees(conn: asyncpg.Connection) -> list[UUID]:
    """The assignees escalated incidents in the backlog are marked with."""
    rows = await conn.fetch(
        "SELECT DISTINCT escalated_from FROM backlog WHERE escalated_from IS NOT NULL"
    )
    return [row["escalated_from"] for row in rows]


async def lock_backlog(conn: asyncpg.Connection) -> list[tuple[WaitingIncident, UUID | None]]:
    """Every waiting incident nobody else holds, in backlog order, locked, with the
    assignee it escalated from."""
    rows = await conn.fetch(
        f"SELECT b.*, d.resolution_due FROM {BACKLOG_FROM} ORDER BY {BACKLOG_ORDER} "
        "FOR UPDATE OF b SKIP LOCKED"
    )
    return [
        (
            WaitingIncident(
                incident_id=row["incident_id"],
                priority=Priority(row["priority"]),
                resolution_due=row["resolution_due"],
                registered_at=row["registered_at"],
                category_path=tuple(row["category_path"]),
                excluded=(
                    frozenset({row["escalated_from"]}) if row["escalated_from"] else frozenset()
                ),
            ),
            row["escalated_from"],
        )
        for row in rows
    ]


async def backlog_page(
    pool: asyncpg.Pool, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """A page of the backlog in the order it drains, and how many wait."""
    rows = await pool.fetch(
        "SELECT b.*, d.resolution_due, n.number, n.title, count(*) OVER () AS total "
        f"FROM {BACKLOG_NAMED_FROM} ORDER BY {BACKLOG_ORDER} "
        "LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    total = rows[0]["total"] if rows else await backlog_size(pool)
    return rows, total


async def backlog_size(db: Db) -> int:
    return int(await db.fetchval("SELECT count(*) FROM backlog"))


async def is_waiting(conn: asyncpg.Connection, incident_id: UUID) -> bool:
    """Whether the incident waits for an agent (in the backlog or among the arrivals)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM backlog WHERE incident_id = $1) "
            "OR EXISTS (SELECT 1 FROM arrivals WHERE incident_id = $1)",
            incident_id,
        )
    )


async def stop_waiting(conn: asyncpg.Connection, incident_id: UUID) -> None:
    """Resolved while waiting (unassigned, or for an escalation): it waits no longer."""
    await conn.execute("DELETE FROM backlog WHERE incident_id = $1", incident_id)
    await conn.execute("DELETE FROM arrivals WHERE incident_id = $1", incident_id)


async def queued_arrivals(conn: asyncpg.Connection, limit: int) -> list[UUID]:
    """Up to `limit` queued arrivals, oldest first (not locked yet)."""
    rows = await conn.fetch("SELECT incident_id FROM arrivals ORDER BY arrived_at LIMIT $1", limit)
    return [row["incident_id"] for row in rows]


async def take_arrivals(conn: asyncpg.Connection, ids: list[UUID]) -> list[IncidentFacts]:
    """Of the queued arrivals `ids`, those nobody else holds, taken off the queue.
    Several instances share the arrivals: each takes rows nobody else holds."""
    rows = await conn.fetch(
        "SELECT incident_id, category_path, priority, registered_at FROM arrivals "
        "WHERE incident_id = ANY($1::uuid[]) ORDER BY arrived_at FOR UPDATE SKIP LOCKED",
        ids,
    )
    if rows:
        await conn.execute(
            "DELETE FROM arrivals WHERE incident_id = ANY($1::uuid[])",
            [row["incident_id"] for row in rows],
        )
    return [_facts(row) for row in rows]


async def unplaced(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, datetime | None]:
    """Of `ids`, those no assignment holds yet and not known to be resolved or closed,
    with their resolution due. Read after the agents' locks: an assignment by hand that
    raced ahead has committed by now."""
    rows = await conn.fetch(
        "SELECT i.incident_id, d.resolution_due FROM unnest($1::uuid[]) AS i(incident_id) "
        "LEFT JOIN incident_deadlines d USING (incident_id) "
        "WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.incident_id = i.incident_id) "
        # Resolved or closed before its registration reached us: nobody's work.
        "AND NOT EXISTS (SELECT 1 FROM incident_states s "
        "WHERE s.incident_id = i.incident_id AND NOT s.is_open)",
        ids,
    )
    return {row["incident_id"]: row["resolution_due"] for row in rows}
