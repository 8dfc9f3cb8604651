"""Assignment use cases, each with its lock sequence: placing new incidents (in
batches), draining the backlog, following status changes, reassigning (escalation,
hand-over) and assigning by hand.

The choice is the pure `domain`; the SQL is `store`. Every decision first locks the rows
of all online agents (plus any other agent it will touch) in agent-id order, then the
incidents it decides on, then their rows. Two instances therefore never deadlock and
never decide on the same loads: the load we compare is the load we write, so no agent
exceeds capacity and no incident gets two assignees, however many consumers run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from desk_contracts import Envelope, utc_now
from desk_contracts.enums import Presence, Priority
from desk_contracts.messages import (
    AssignByHand,
    AssignmentMade,
    IncidentAssigned,
    IncidentBacklogged,
)
from desk_runtime.errors import Conflict, Forbidden, Invalid, NotYet
from desk_runtime.logging import get_logger
from desk_runtime.service import Gathered, UnitOfWork

from . import states_store, store
from .domain import (
    AgentState,
    WaitingIncident,
    check_manual,
    choose_agent,
    may_override,
    plan_backlog,
)
from .metrics import ROUTING_ASSIGNMENTS
from .store import Decision, IncidentFacts

log = get_logger(__name__)

# The fact a reclassification waits for: the incident's registration, placed.
INCIDENT = "incident"

# What made an assignment, as counted on /metrics.
AssignmentKind = Literal["auto", "backlog", "escalation", "handover"]

# How many new incidents one placement transaction takes at most.
ARRIVALS_BATCH = 200


async def record_assignments(
    uow: UnitOfWork,
    decisions: Sequence[Decision],
    *,
    at: datetime,
    kind: AssignmentKind,
    causes: Sequence[Envelope[Any] | None] | None = None,
) -> None:
    """Book each decision (rows already locked by the caller): the previous open assignee,
    if any, is relieved; the backlog forgets the incident; intake is told (each
    announcement continuing its `causes` entry, if given). A batch goes to the database
    in one pipelined round trip, its announcements in another."""
    if not decisions:
        return
    await store.book(uow.conn, decisions, at)
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
        causes=list(causes) if causes is not None else [None] * len(decisions),
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
    inserted = await store.add_to_backlog(uow.conn, incident, escalated_from)
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


# --- placing new incidents ----------------------------------------------------------------


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
    agents = await store.lock_agents_to_place(uow.conn)
    await store.lock_incidents(uow.conn, incidents)
    unplaced = await store.unplaced(uow.conn, list(incidents))
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


async def place_arrivals(uow: UnitOfWork, limit: int = ARRIVALS_BATCH) -> int:
    """Place a batch of queued arrivals (incidents reconciliation found nobody placed)
    under one lock of the agents. Returns how many arrivals the batch took."""
    conn = uow.conn
    waiting = await store.queued_arrivals(conn, limit)
    if not waiting:
        return 0
    # The agents, then the incidents, then the rows, as a status change or a
    # reclassification of one of them takes them.
    agents = await store.lock_agents_to_place(conn)
    await store.lock_incidents(conn, waiting)
    taken = await store.take_arrivals(conn, waiting)
    if not taken:
        return 0
    unplaced = await store.unplaced(conn, [incident.incident_id for incident in taken])
    await _place(
        uow,
        [
            Arrival(incident, unplaced[incident.incident_id])
            for incident in taken
            if incident.incident_id in unplaced
        ],
        agents,
    )
    return len(taken)


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
    causes = []
    for incident_id, choice in plan:
        arrival = unplaced.pop(incident_id)
        decisions.append(Decision(arrival.incident, choice.agent_id, choice.reason))
        causes.append(arrival.cause)
    await record_assignments(uow, decisions, at=now, kind="auto", causes=causes)
    for arrival in unplaced.values():
        await put_in_backlog(uow, arrival.incident, reason="no eligible agent", cause=arrival.cause)


# --- the backlog --------------------------------------------------------------------------


async def drain_backlog(uow: UnitOfWork) -> int:
    """Give waiting incidents to agents who can take them now, in backlog order."""
    conn = uow.conn
    escalated = await store.escalated_assignees(conn)
    agents = await store.lock_agents(conn, also=escalated)
    if not any(agent.presence is Presence.ONLINE for agent in agents):
        return 0
    locked = {agent.agent_id for agent in agents}
    rows = await store.lock_backlog(conn)
    waiting: dict[UUID, tuple[WaitingIncident, UUID | None]] = {}
    for item, escalated_from in rows:
        # Moving an escalated incident relieves its assignee, whose row must be locked
        # already; one that escalated in the meantime waits for the next drain.
        if escalated_from is not None and escalated_from not in locked:
            continue
        waiting[item.incident_id] = (item, escalated_from)
    if not waiting:
        return 0
    now = utc_now()
    plan = plan_backlog((item for item, _ in waiting.values()), agents, now)
    for incident_id, choice in plan:
        item, escalated_from = waiting[incident_id]
        previous = None
        if escalated_from is not None:
            # Still the open assignee? (It may have been resolved while waiting.)
            previous = await store.still_assigned(conn, incident_id, escalated_from)
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


# --- status changes -----------------------------------------------------------------------


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
    booked = await store.assignee(conn, incident.incident_id)
    # The agents first, as every decision takes them: this incident's state row is then
    # only ever waited on by a transaction that holds no agent.
    agents = await store.lock_agents_to_place(conn, also=[booked] if booked else [])
    await store.lock_incidents(conn, [incident.incident_id])
    if not await states_store.note_state(conn, incident.incident_id, is_open=is_open, at=at):
        log.info("status_change_superseded", incident_id=str(incident.incident_id))
        return
    if not is_open:
        if await release(uow, incident.incident_id):
            await drain_backlog(uow)
        return
    if await reopen(uow, incident.incident_id):
        return
    if await store.is_waiting(conn, incident.incident_id):
        return
    unplaced = await store.unplaced(conn, [incident.incident_id])
    if incident.incident_id in unplaced:
        await _place(uow, [Arrival(incident, unplaced[incident.incident_id])], agents)


async def _same_side(
    conn: asyncpg.Connection, incident_id: UUID, *, is_open: bool, at: datetime
) -> bool:
    """Most changes stay on one side (assigned → in progress ⇄ waiting; resolved →
    closed): no load moves, so only the time of the latest change is kept, without the
    agents' locks. False when the change crosses sides, or the state moved meanwhile."""
    stored = await states_store.known_state(conn, incident_id)
    # Never heard of: a registered incident is open.
    if (stored["is_open"] if stored is not None else True) != is_open:
        return False
    if stored is not None and stored["changed_at"] > at:
        log.info("status_change_superseded", incident_id=str(incident_id))
        return True
    return await states_store.note_state(conn, incident_id, is_open=is_open, at=at, same_side=True)


async def release(uow: UnitOfWork, incident_id: UUID) -> bool:
    """The incident stopped counting towards its agent's load (resolved or closed)."""
    conn = uow.conn
    await store.stop_waiting(conn, incident_id)
    agent_id = await store.assignee(conn, incident_id, is_open=True)
    if agent_id is None:
        return False
    await store.lock_agents(conn, also=[agent_id])
    return await store.close_assignment(conn, incident_id, agent_id)


async def reopen(uow: UnitOfWork, incident_id: UUID) -> bool:
    """A reopened incident counts again for the agent who had it."""
    conn = uow.conn
    agent_id = await store.assignee(conn, incident_id, is_open=False)
    if agent_id is None:
        return False
    await store.lock_agents(conn, also=[agent_id])
    return await store.reopen_assignment(conn, incident_id, agent_id)


async def reclassify(
    uow: UnitOfWork, incident_id: UUID, category_path: tuple[str, ...], priority: Priority
) -> None:
    """A new category or priority changes who may take a waiting incident and where it
    waits (the backlog is offered to whoever may take it now); an assigned one stays with
    its agent. One that overtook the incident's registration waits for it, parked."""
    conn = uow.conn
    if await store.is_waiting(conn, incident_id):
        # The agents before the incident's rows, in the order every decision takes
        # them (an assignment by hand of this very incident would otherwise deadlock
        # with us); an assigned incident needs no agent locked.
        await store.lock_agents(conn)
    placed, queued, backlogged = await store.reclassify(conn, incident_id, category_path, priority)
    if backlogged:
        await drain_backlog(uow)
    elif not (placed or queued) and not await states_store.resolved_before_registration(
        conn, incident_id
    ):
        # Neither placed nor waiting, nor resolved before its registration came.
        raise NotYet(INCIDENT, incident_id)


# --- reassigning and assigning by hand ----------------------------------------------------


async def reassign(
    uow: UnitOfWork, incident_id: UUID, why: str, kind: AssignmentKind = "escalation"
) -> UUID | None:
    """Escalation, or a hand-over from a deactivated user: the least-loaded eligible agent
    other than the current assignee; with nobody eligible the incident waits in the
    backlog, marked with its assignee (relieved when someone takes it), and
    IncidentBacklogged names the group head. `why` opens the recorded reason."""
    conn = uow.conn
    current = await store.assignee(conn, incident_id, is_open=True)
    if current is None:
        log.info("reassign_skipped", reason="not assigned or no longer open")
        return None
    agents = await store.lock_agents_to_place(conn, also=[current])
    incident = await store.lock_open_assignment(conn, incident_id, current)
    if incident is None:
        return None
    choice = choose_agent(agents, incident.category_path, exclude={current})
    if choice is None:
        await put_in_backlog(
            uow,
            incident,
            reason=f"{why}: no eligible agent other than the current assignee",
            escalated_from=current,
            group_head_id=await store.group_head(conn, current),
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


async def assign_by_hand(uow: UnitOfWork, request: AssignByHand) -> AssignmentMade:
    """Staff assignment: refused (409) when the agent is not online or is full, unless
    overridden; outside the agent's skills is allowed and noted. Under the same locks as
    every decision: the agents (the target and the current assignee among them), then
    the incident, then its assignment row."""
    if request.override and not may_override(request.principal.role):
        raise Forbidden("only a head or an admin may override")
    conn = uow.conn
    incident = IncidentFacts(
        request.incident_id, request.category_path, request.priority, request.registered_at
    )
    current = await store.assignee(conn, request.incident_id, is_open=True)
    also = [request.agent_id] + ([current] if current else [])
    agents = {a.agent_id: a for a in await store.lock_agents(conn, also=also)}
    await store.lock_incidents(conn, [request.incident_id])
    target = agents.get(request.agent_id)
    if target is None:
        raise Invalid.field("agent_id", "no agent profile")
    row = await store.lock_assignment(conn, request.incident_id)
    if row is not None and not row["is_open"]:
        raise Conflict("the incident is resolved or closed")
    previous = row["agent_id"] if row is not None else None
    if previous is not None and previous not in agents:
        # Reassigned between our read and our lock; the asker may simply retry.
        raise Conflict("the incident was reassigned meanwhile; try again")
    if previous == request.agent_id:
        return AssignmentMade(
            incident_id=request.incident_id,
            agent_id=request.agent_id,
            previous_agent_id=previous,
            changed=False,
            reason="already assigned to this agent",
            load=target.load,
            capacity=target.capacity,
        )
    check = check_manual(target, request.category_path)
    if check.refusals:
        raise Conflict(
            f"cannot assign: {'; '.join(check.refusals)}",
            data={"blockers": list(check.refusals)},
        )
    if not check.allowed(request.override):
        raise Conflict(
            f"cannot assign: {'; '.join(check.blockers)}; a head or admin may override",
            data={"blockers": list(check.blockers)},
        )
    actor_id = request.principal.user_id
    actor = await store.name_of(conn, actor_id)
    reason = describe_manual(actor or short(actor_id), target, check.describe(request.override))
    await record_assignment(
        uow,
        incident,
        agent_id=request.agent_id,
        reason=reason,
        at=utc_now(),
        previous_agent_id=previous,
        manual=True,
    )
    if previous is not None:
        await drain_backlog(uow)
    return AssignmentMade(
        incident_id=request.incident_id,
        agent_id=request.agent_id,
        previous_agent_id=previous,
        changed=True,
        reason=reason,
        load=await store.agent_load(conn, request.agent_id),
        capacity=target.capacity,
    )


def short(agent_id: UUID) -> str:
    return str(agent_id)[:8]


def describe_manual(actor: str, agent: AgentState, notes: str) -> str:
    text = (
        f"assigned by hand by {actor} to {agent.name or short(agent.agent_id)} "
        f"{agent.load}/{agent.capacity}"
    )
    return f"{text}; {notes}" if notes else text


# --- loads --------------------------------------------------------------------------------


async def reconcile_loads(conn: asyncpg.Connection) -> list[tuple[UUID, int, int]]:
    """Recompute every agent's load from routing's own open assignments (at each start).

    The assignments are written in the same transactions as the loads, so a drift can
    only come from manual database edits or a bug; `reconcile.reconcile_with_intake` goes
    further and corrects the assignments themselves from intake's incidents. Returns (agent, old,
    new) of every corrected agent.
    """
    async with conn.transaction():
        await store.lock_every_agent(conn)
        return await recount_loads(conn)


async def recount_loads(conn: asyncpg.Connection) -> list[tuple[UUID, int, int]]:
    """Set each agent's load to its open assignments (every agent's row locked by the
    caller); returns (agent, old, new) of every corrected agent."""
    changes = await store.recount_loads(conn)
    for agent_id, old, new in changes:
        log.warning("agent_load_corrected", agent_id=str(agent_id), old=old, new=new)
    return changes
