"""Assignment under row locks.

Every decision first locks the rows of all online agents (plus any other agent it will
touch) in agent-id order, in one statement. Two instances therefore never deadlock and
never decide on the same loads: the load we compare is the load we write, so no agent
exceeds capacity and no incident gets two assignees, however many consumers run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from desk_contracts import Envelope, utc_now
from desk_contracts.enums import Presence, Priority
from desk_contracts.messages import IncidentAssigned, IncidentBacklogged
from desk_runtime.logging import get_logger
from desk_runtime.service import Gathered, UnitOfWork

from .domain import AgentState, WaitingIncident, choose_agent, plan_backlog
from .metrics import ROUTING_ASSIGNMENTS

log = get_logger(__name__)

# The fact a reclassification waits for: the incident's registration, placed.
INCIDENT = "incident"

# What made an assignment, as counted on /metrics.
AssignmentKind = Literal["auto", "backlog", "escalation", "handover"]


# An advisory lock key of routing's own: placements share it, profile changes take it
# alone. A placement reads "who is online" once, when it locks the agents; an agent who
# comes online meanwhile is not in that set, and the backlog drain of their profile
# change ran before the placement's backlog row existed. Taken before the agents' rows
# (every holder does so), it makes each see the other's outcome.
PLACEMENTS_LOCK = 0x726F7574696E67  # "routing"


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


async def lock_incidents(conn: asyncpg.Connection, ids: Collection[UUID]) -> None:
    """Serialize decisions on these incidents (after the agents' locks, in id order):
    with nobody online a placement locks no agent, and an assignment by hand racing it
    would otherwise leave the incident both assigned and in the backlog."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(i::text, 0)) "
        "FROM unnest($1::uuid[]) AS i ORDER BY i",
        sorted(ids),
    )


async def lock_agents(conn: asyncpg.Connection, also: Collection[UUID] = ()) -> list[AgentState]:
    """Lock every online agent and the agents in `also`, always in id order."""
    rows = await conn.fetch(
        "SELECT * FROM agents WHERE presence = $1 OR agent_id = ANY($2::uuid[]) "
        "ORDER BY agent_id FOR UPDATE",
        Presence.ONLINE.value,
        list(also),
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
        active=row["active"],
    )


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
    # The message the decision follows from, when it is not the one being handled.
    cause: Envelope[Any] | None = None


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


async def record_assignments(
    uow: UnitOfWork, decisions: Sequence[Decision], *, at: datetime, kind: AssignmentKind
) -> None:
    """Book each decision (rows already locked by the caller): the previous open assignee,
    if any, is relieved; the backlog forgets the incident; intake is told. A batch goes
    to the database in one pipelined round trip, its announcements in another."""
    if not decisions:
        return
    await uow.conn.executemany(
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
    await uow.publish_many(
        [
            IncidentAssigned(
                incident_id=d.incident.incident_id,
                agent_id=d.agent_id,
                previous_agent_id=d.previous_agent_id,
                reason=d.reason,
                assigned_at=at,
                manual=d.manual,
            )
            for d in decisions
        ],
        causes=[d.cause for d in decisions],
    )
    for d in decisions:
        uow.on_commit(ROUTING_ASSIGNMENTS.labels("manual" if d.manual else kind).inc)


async def record_assignment(
    uow: UnitOfWork,
    incident: IncidentFacts,
    *,
    agent_id: UUID,
    reason: str,
    at: datetime,
    previous_agent_id: UUID | None = None,
    manual: bool = False,
    kind: AssignmentKind = "auto",
) -> None:
    """One decision (see `record_assignments`)."""
    await record_assignments(
        uow,
        [Decision(incident, agent_id, reason, previous_agent_id, manual)],
        at=at,
        kind=kind,
    )


async def put_in_backlog(
    uow: UnitOfWork,
    incident: IncidentFacts,
    *,
    reason: str,
    escalated_from: UUID | None = None,
    group_head_id: UUID | None = None,
    cause: Envelope[Any] | None = None,
) -> None:
    """Let the incident wait for a free, skilled agent; announce it once."""
    inserted = await uow.conn.fetchval(
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
    log.info("incident_backlogged", reason=reason, escalated=escalated_from is not None)
    if inserted or escalated_from is not None:
        await uow.publish(
            IncidentBacklogged(
                incident_id=incident.incident_id,
                reason=reason,
                escalated=escalated_from is not None,
                current_agent_id=escalated_from,
                group_head_id=group_head_id,
                backlogged_at=utc_now(),
            ),
            cause,
        )


# The backlog with each incident's resolution due, read where routing keeps what sla
# announced (never copied into the backlog row: a copy could miss an announcement that
# arrives while the incident is being backlogged).
BACKLOG_FROM = "backlog b LEFT JOIN incident_deadlines d USING (incident_id)"
BACKLOG_ORDER = "b.priority_rank, d.resolution_due NULLS LAST, b.registered_at, b.incident_id"

# How many new incidents one placement transaction takes at most.
ARRIVALS_BATCH = 200


@dataclass(frozen=True)
class Arrival:
    """A new incident to place, with what orders it among the others."""

    incident: IncidentFacts
    resolution_due: datetime | None
    cause: Envelope[Any] | None = None


async def place_registered(uow: UnitOfWork, registered: list[Gathered[IncidentFacts]]) -> None:
    """The closing step of the transaction that consumed new registrations: the agents
    are locked once for all of them and the batch is planned together (critical first),
    in the transaction that holds their inbox rows. What waited for them (a
    reclassification that came first) is handled next."""
    incidents: dict[UUID, Gathered[IncidentFacts]] = {}
    for gathered in registered:
        incidents.setdefault(gathered.item.incident_id, gathered)  # one place per incident
    agents = await lock_agents_to_place(uow.conn)
    await lock_incidents(uow.conn, incidents)
    unplaced = await _unplaced(uow.conn, list(incidents))
    await _place(
        uow,
        [
            Arrival(gathered.item, unplaced[incident_id], gathered.cause)
            for incident_id, gathered in incidents.items()
            if incident_id in unplaced
        ],
        agents,
    )
    for incident_id in incidents:
        uow.arrived(INCIDENT, incident_id)


async def _unplaced(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, datetime | None]:
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


async def place_arrivals(uow: UnitOfWork, limit: int = ARRIVALS_BATCH) -> int:
    """Place a batch of queued arrivals (incidents reconciliation found nobody placed)
    under one lock of the agents. Returns how many arrivals the batch took."""
    conn = uow.conn
    waiting = await conn.fetch(
        "SELECT incident_id FROM arrivals ORDER BY arrived_at LIMIT $1", limit
    )
    if not waiting:
        return 0
    # The agents, then the incidents, then the rows, as a status change or a
    # reclassification of one of them takes them.
    agents = await lock_agents_to_place(conn)
    await lock_incidents(conn, [row["incident_id"] for row in waiting])
    # Several instances share the arrivals: each takes rows nobody else holds.
    rows = await conn.fetch(
        "SELECT incident_id, category_path, priority, registered_at FROM arrivals "
        "WHERE incident_id = ANY($1::uuid[]) ORDER BY arrived_at FOR UPDATE SKIP LOCKED",
        [row["incident_id"] for row in waiting],
    )
    if not rows:
        return 0
    ids = [row["incident_id"] for row in rows]
    await conn.execute("DELETE FROM arrivals WHERE incident_id = ANY($1::uuid[])", ids)
    unplaced = await _unplaced(conn, ids)
    await _place(
        uow,
        [
            Arrival(
                IncidentFacts(
                    row["incident_id"],
                    tuple(row["category_path"]),
                    Priority(row["priority"]),
                    row["registered_at"],
                ),
                unplaced[row["incident_id"]],
            )
            for row in rows
            if row["incident_id"] in unplaced
        ],
        agents,
    )
    return len(rows)


async def _place(uow: UnitOfWork, arrivals: list[Arrival], agents: list[AgentState]) -> None:
    """Each arrival goes to the least-loaded eligible agent (the locked `agents`), in
    backlog order, each placement raising its agent's load before the next; the rest
    wait in the backlog."""
    if not arrivals:
        return
    unplaced = {arrival.incident.incident_id: arrival for arrival in arrivals}
    now = utc_now()
    plan = plan_backlog(
        (
            WaitingIncident(
                incident_id=arrival.incident.incident_id,
                priority=arrival.incident.priority,
                resolution_due=arrival.resolution_due,
                registered_at=arrival.incident.registered_at,
                category_path=arrival.incident.category_path,
            )
            for arrival in arrivals
        ),
        agents,
        now,
    )
    decisions = []
    for incident_id, choice in plan:
        arrival = unplaced.pop(incident_id)
        decisions.append(
            Decision(arrival.incident, choice.agent_id, choice.reason, cause=arrival.cause)
        )
    await record_assignments(uow, decisions, at=now, kind="auto")
    for arrival in unplaced.values():
        await put_in_backlog(uow, arrival.incident, reason="no eligible agent", cause=arrival.cause)


async def drain_backlog(uow: UnitOfWork) -> int:
    """Give waiting incidents to agents who can take them now, in backlog order."""
    conn = uow.conn
    escalated = await conn.fetch(
        "SELECT DISTINCT escalated_from FROM backlog WHERE escalated_from IS NOT NULL"
    )
    agents = await lock_agents(conn, also=[row["escalated_from"] for row in escalated])
    if not any(agent.presence is Presence.ONLINE for agent in agents):
        return 0
    locked = {agent.agent_id for agent in agents}
    rows = await conn.fetch(
        f"SELECT b.*, d.resolution_due FROM {BACKLOG_FROM} ORDER BY {BACKLOG_ORDER} "
        "FOR UPDATE OF b SKIP LOCKED"
    )
    waiting: dict[UUID, tuple[WaitingIncident, UUID | None]] = {}
    for row in rows:
        escalated_from = row["escalated_from"]
        # Moving an escalated incident relieves its assignee, whose row must be locked
        # already; one that escalated in the meantime waits for the next drain.
        if escalated_from is not None and escalated_from not in locked:
            continue
        waiting[row["incident_id"]] = (
            WaitingIncident(
                incident_id=row["incident_id"],
                priority=Priority(row["priority"]),
                resolution_due=row["resolution_due"],
                registered_at=row["registered_at"],
                category_path=tuple(row["category_path"]),
                excluded=frozenset({escalated_from}) if escalated_from else frozenset(),
            ),
            escalated_from,
        )
    if not waiting:
        return 0
    now = utc_now()
    plan = plan_backlog((item for item, _ in waiting.values()), agents, now)
    for incident_id, choice in plan:
        item, escalated_from = waiting[incident_id]
        previous = None
        if escalated_from is not None:
            # Still the open assignee? (It may have been resolved while waiting.)
            previous = await conn.fetchval(
                "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open "
                "AND agent_id = $2",
                incident_id,
                escalated_from,
            )
        reason = choice.reason if previous is None else f"escalation: {choice.reason}"
        await record_assignment(
            uow,
            IncidentFacts(incident_id, item.category_path, item.priority, item.registered_at),
            agent_id=choice.agent_id,
            reason=f"from the backlog: {reason}",
            at=now,
            previous_agent_id=previous,
            kind="backlog",
        )
    if plan:
        log.info("backlog_drained", assigned=len(plan), waiting=len(rows) - len(plan))
    return len(plan)


async def follow_status(
    uow: UnitOfWork, incident: IncidentFacts, *, is_open: bool, at: datetime
) -> None:
    """Keep loads true to a status change of `incident` made `at`: resolved or closed
    frees its agent (and the backlog is offered the room); open again counts it for
    that agent once more, or, if it was never booked (resolved from the backlog, say),
    places it like a new one. A change older than the last one applied changes nothing."""
    conn = uow.conn
    if await _same_side(conn, incident.incident_id, is_open=is_open, at=at):
        return
    booked = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1", incident.incident_id
    )
    # The agents first, as every decision takes them: this incident's state row is then
    # only ever waited on by a transaction that holds no agent.
    agents = await lock_agents_to_place(conn, also=[booked] if booked else [])
    await lock_incidents(conn, [incident.incident_id])
    if not await _note_state(conn, incident.incident_id, is_open=is_open, at=at):
        log.info("status_change_superseded", incident_id=str(incident.incident_id))
        return
    if not is_open:
        if await release(uow, incident.incident_id):
            await drain_backlog(uow)
        return
    if await reopen(uow, incident.incident_id):
        return
    if await is_waiting(conn, incident.incident_id):
        return
    unplaced = await _unplaced(conn, [incident.incident_id])
    if incident.incident_id in unplaced:
        await _place(uow, [Arrival(incident, unplaced[incident.incident_id])], agents)


async def is_waiting(conn: asyncpg.Connection, incident_id: UUID) -> bool:
    """Whether the incident waits for an agent (in the backlog or among the arrivals)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM backlog WHERE incident_id = $1) "
            "OR EXISTS (SELECT 1 FROM arrivals WHERE incident_id = $1)",
            incident_id,
        )
    )


async def _same_side(
    conn: asyncpg.Connection, incident_id: UUID, *, is_open: bool, at: datetime
) -> bool:
    """Most changes stay on one side (assigned → in progress ⇄ waiting; resolved →
    closed): no load moves, so only the time of the latest change is kept, without the
    agents' locks. False when the change crosses sides, or the state moved meanwhile."""
    stored = await conn.fetchrow(
        "SELECT is_open, changed_at FROM incident_states WHERE incident_id = $1", incident_id
    )
    # Never heard of: a registered incident is open.
    if (stored["is_open"] if stored is not None else True) != is_open:
        return False
    if stored is not None and stored["changed_at"] > at:
        log.info("status_change_superseded", incident_id=str(incident_id))
        return True
    return await _note_state(conn, incident_id, is_open=is_open, at=at, same_side=True)


async def _note_state(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    is_open: bool,
    at: datetime,
    same_side: bool = False,
) -> bool:
    """Keep `is_open` as of `at` unless a later change is kept already (and, with
    `same_side`, unless the kept state is the other side); whether it was kept."""
    side = "AND incident_states.is_open = EXCLUDED.is_open" if same_side else ""
    kept = await conn.fetchval(
        f"""
        INSERT INTO incident_states (incident_id, is_open, changed_at) VALUES ($1, $2, $3)
        ON CONFLICT (incident_id) DO UPDATE
            SET is_open = EXCLUDED.is_open, changed_at = EXCLUDED.changed_at
            WHERE incident_states.changed_at <= EXCLUDED.changed_at {side}
        RETURNING true
        """,
        incident_id,
        is_open,
        at,
    )
    return bool(kept)


async def release(uow: UnitOfWork, incident_id: UUID) -> bool:
    """The incident stopped counting towards its agent's load (resolved or closed)."""
    conn = uow.conn
    # Resolved while waiting (unassigned, or for an escalation): it waits no longer.
    await conn.execute("DELETE FROM backlog WHERE incident_id = $1", incident_id)
    await conn.execute("DELETE FROM arrivals WHERE incident_id = $1", incident_id)
    agent_id = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open", incident_id
    )
    if agent_id is None:
        return False
    await lock_agents(conn, also=[agent_id])
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


async def reopen(uow: UnitOfWork, incident_id: UUID) -> bool:
    """A reopened incident counts again for the agent who had it."""
    conn = uow.conn
    agent_id = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 AND NOT is_open", incident_id
    )
    if agent_id is None:
        return False
    await lock_agents(conn, also=[agent_id])
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


async def reassign(
    uow: UnitOfWork, incident_id: UUID, why: str, kind: AssignmentKind = "escalation"
) -> UUID | None:
    """Escalation, or a hand-over from a deactivated user: the least-loaded eligible agent
    other than the current assignee; with nobody eligible the incident waits in the
    backlog, marked with its assignee (relieved when someone takes it), and
    IncidentBacklogged names the group head. `why` opens the recorded reason."""
    conn = uow.conn
    current = await conn.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open", incident_id
    )
    if current is None:
        log.info("reassign_skipped", reason="not assigned or no longer open")
        return None
    agents = await lock_agents_to_place(conn, also=[current])
    row = await conn.fetchrow(
        "SELECT * FROM assignments WHERE incident_id = $1 AND is_open AND agent_id = $2 FOR UPDATE",
        incident_id,
        current,
    )
    if row is None:
        return None
    incident = IncidentFacts(
        incident_id, tuple(row["category_path"]), Priority(row["priority"]), row["registered_at"]
    )
    choice = choose_agent(agents, incident.category_path, exclude={current})
    if choice is None:
        head = await conn.fetchval("SELECT group_head_id FROM agents WHERE agent_id = $1", current)
        await put_in_backlog(
            uow,
            incident,
            reason=f"{why}: no eligible agent other than the current assignee",
            escalated_from=current,
            group_head_id=head,
        )
        return None
    await record_assignment(
        uow,
        incident,
        agent_id=choice.agent_id,
        reason=f"{why}: {choice.reason}",
        at=utc_now(),
        previous_agent_id=current,
        kind=kind,
    )
    return choice.agent_id


async def reconcile_loads(conn: asyncpg.Connection) -> list[tuple[UUID, int, int]]:
    """Recompute every agent's load from routing's own open assignments (at each start).

    The assignments are written in the same transactions as the loads, so a drift can
    only come from manual database edits or a bug; `reconcile.reconcile_with_intake` goes
    further and corrects the assignments themselves from intake's incidents. Returns (agent, old,
    new) of every corrected agent.
    """
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM agents ORDER BY agent_id FOR UPDATE")
        return await recount_loads(conn)


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
    changes = [(row["agent_id"], row["old"], row["new"]) for row in rows]
    for agent_id, old, new in changes:
        log.warning("agent_load_corrected", agent_id=str(agent_id), old=old, new=new)
    return changes


def short(agent_id: UUID) -> str:
    return str(agent_id)[:8]


def describe_manual(actor_id: UUID, agent: AgentState, notes: str) -> str:
    text = (
        f"assigned by hand by {short(actor_id)} to {short(agent.agent_id)} "
        f"{agent.load}/{agent.capacity}"
    )
    return f"{text}; {notes}" if notes else text


def skills_json(skills: Sequence[Sequence[str]]) -> list[list[str]]:
    return [list(skill) for skill in skills]
