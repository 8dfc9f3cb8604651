"""Routing handlers: profiles and incident events in, assignments and answers out."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Presence
from desk_contracts.messages import (
    AgentList,
    AgentProfileChanged,
    AgentView,
    AssignByHand,
    AssignmentMade,
    Backlog,
    BacklogItem,
    ChangeAgentProfile,
    DeadlinesSet,
    GetBacklog,
    IncidentReclassified,
    IncidentRegistered,
    IncidentStates,
    IncidentStatusChanged,
    ListAgents,
    LoadsReconciled,
    ReconcileLoads,
    SlaEscalated,
    UpsertAgentProfile,
    UserUpserted,
)
from desk_runtime.errors import Conflict, Invalid, NotYet
from desk_runtime.errors import NotFound as NotFoundError
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from . import assignment
from .assignment import IncidentFacts, lock_agents
from .domain import check_manual
from .gauges import REFRESH_SECONDS, refresh_gauges
from .reconcile import reconcile_with_intake, reconcile_with_retries

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# How often the assigner looks for arrivals nobody woke it for.
ARRIVALS_LOOK_SECONDS = 1.0

log = get_logger(__name__)


def agent_view(row: asyncpg.Record) -> AgentView:
    return AgentView(
        agent_id=row["agent_id"],
        skills=tuple(tuple(skill) for skill in row["skills"]),
        capacity=row["capacity"],
        presence=Presence(row["presence"]),
        group_head_id=row["group_head_id"],
        load=row["load"],
        last_assigned_at=row["last_assigned_at"],
        updated_at=row["updated_at"],
    )


async def save_profile(uow: UnitOfWork, profile: UpsertAgentProfile) -> None:
    """Write the profile (its row already locked), announce it and offer the backlog to
    whoever can take more now (came online, gained a skill or capacity)."""
    row = await uow.conn.fetchrow(
        """
        INSERT INTO agents (agent_id, skills, capacity, presence, group_head_id)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (agent_id) DO UPDATE SET skills = EXCLUDED.skills,
            capacity = EXCLUDED.capacity,
            -- A deactivated user stays offline, whatever the profile says.
            presence = CASE WHEN agents.active THEN EXCLUDED.presence ELSE 'offline' END,
            group_head_id = EXCLUDED.group_head_id, updated_at = now()
        RETURNING *
        """,
        profile.agent_id,
        assignment.skills_json(profile.skills),
        profile.capacity,
        profile.presence.value,
        profile.group_head_id,
    )
    await uow.publish(profile_changed(row))
    await assignment.drain_backlog(uow)


def profile_changed(row: asyncpg.Record) -> AgentProfileChanged:
    """The announcement of an agent's profile as its row now stands."""
    return AgentProfileChanged(
        agent_id=row["agent_id"],
        skills=tuple(tuple(skill) for skill in row["skills"]),
        capacity=row["capacity"],
        presence=Presence(row["presence"]),
        group_head_id=row["group_head_id"],
    )


def register(service: Service) -> None:
    service.every(REFRESH_SECONDS)(refresh_gauges)

    @service.on_startup
    async def reconcile_at_start(service: Service) -> None:
        """Loads are recounted from the assignments before consuming anything."""
        async with service.pool.acquire() as conn:
            await assignment.reconcile_loads(conn)

    @service.handles(UpsertAgentProfile)
    async def upsert_profile(command: UpsertAgentProfile, uow: UnitOfWork) -> None:
        """Creates or replaces an agent's skills, capacity, presence and group head."""
        await assignment.lock_agents_to_change_profile(uow.conn, command.agent_id)
        await save_profile(uow, command)

    @service.handles(UserUpserted)
    async def on_user(event: UserUpserted, uow: UnitOfWork) -> None:
        """A user deactivated, or no longer staff, takes no more work: their profile goes
        offline for good and each of their open incidents goes to the least-loaded
        colleague (or waits in the backlog, never handed back). Active staff again:
        the profile may go online once more."""
        active = event.active and event.role.is_staff
        known = await uow.conn.fetchval(
            "SELECT active FROM agents WHERE agent_id = $1", event.user_id
        )
        if known is None or known == active:
            return  # no profile, or nothing changes for routing
        # The hand-over may put incidents in the backlog.
        await assignment.lock_agents_to_place(uow.conn, also=[event.user_id])
        row = await uow.conn.fetchrow(
            "UPDATE agents SET active = $2, "
            "presence = CASE WHEN $2 THEN presence ELSE 'offline' END, updated_at = now() "
            "WHERE agent_id = $1 RETURNING *",
            event.user_id,
            active,
        )
        await uow.publish(profile_changed(row))
        if active:
            return
        held = await uow.conn.fetch(
            "SELECT incident_id FROM assignments WHERE agent_id = $1 AND is_open "
            "ORDER BY assigned_at",
            event.user_id,
        )
        for incident in held:
            await assignment.reassign(
                uow, incident["incident_id"], "handed over: the agent was deactivated", "handover"
            )
        log.info("agent_deactivated", agent_id=str(event.user_id), incidents_moved=len(held))

    arrivals = asyncio.Event()

    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Gives the new incident to the least-loaded eligible agent or backlogs it, with
        the other registrations handled in the same transaction (one lock of the agents
        for all of them)."""
        uow.gather(
            IncidentFacts(
                event.incident_id, event.category_path, event.priority, event.registered_at
            ),
            assignment.place_registered,
        )

    @service.background
    async def assigner(service: Service) -> None:
        """Places the arrivals reconciliation queues (it wakes this task), and looks
        periodically for those another instance queued and did not get to (it stopped)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrivals.wait(), ARRIVALS_LOOK_SECONDS)
            arrivals.clear()
            while True:
                async with service.transaction() as uow:
                    taken = await assignment.place_arrivals(uow)
                if taken < assignment.ARRIVALS_BATCH:
                    break

    @service.handles(IncidentStatusChanged)
    async def on_status_changed(event: IncidentStatusChanged, uow: UnitOfWork) -> None:
        """Keeps loads true: resolved/closed frees the agent, a reopen takes it back (or
        places it, if nobody had it); a change that arrives after a later one is moot."""
        await assignment.follow_status(
            uow,
            # Placed only if it was never booked: it waits from when it was reopened.
            IncidentFacts(event.incident_id, event.category_path, event.priority, event.changed_at),
            is_open=event.status.is_open,
            at=event.changed_at,
        )

    @service.handles(DeadlinesSet)
    async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
        """Learns the resolution due time, which orders the backlog within a priority."""
        await uow.conn.execute(
            """
            INSERT INTO incident_deadlines (incident_id, resolution_due, computed_at)
            VALUES ($1, $2, $3)
            ON CONFLICT (incident_id) DO UPDATE SET resolution_due = EXCLUDED.resolution_due,
                computed_at = EXCLUDED.computed_at
            WHERE incident_deadlines.computed_at <= EXCLUDED.computed_at
            """,
            event.incident_id,
            event.resolution_due,
            event.computed_at,
        )

    @service.handles(IncidentReclassified)
    async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
        """A new category or priority changes who may take a waiting incident and where
        it waits; an assigned one stays with its agent. One that overtook the incident's
        registration waits for it, parked."""
        if await assignment.is_waiting(uow.conn, event.incident_id):
            # The agents before the incident's rows, in the order every decision takes
            # them (an assignment by hand of this very incident would otherwise deadlock
            # with us); an assigned incident needs no agent locked.
            await lock_agents(uow.conn)
        placed = await uow.conn.execute(
            "UPDATE assignments SET category_path = $2, priority = $3 WHERE incident_id = $1",
            event.incident_id,
            list(event.category_path),
            event.priority.value,
        )
        queued = await uow.conn.execute(
            "UPDATE arrivals SET category_path = $2, priority = $3 WHERE incident_id = $1",
            event.incident_id,
            list(event.category_path),
            event.priority.value,
        )
        backlogged = await uow.conn.fetchval(
            "UPDATE backlog SET category_path = $2, priority = $3, priority_rank = $4 "
            "WHERE incident_id = $1 RETURNING true",
            event.incident_id,
            list(event.category_path),
            event.priority.value,
            event.priority.rank,
        )
        if backlogged:
            await assignment.drain_backlog(uow)
        elif placed == queued == "UPDATE 0" and not await uow.conn.fetchval(
            "SELECT NOT is_open FROM incident_states WHERE incident_id = $1", event.incident_id
        ):
            # Neither placed nor waiting, nor resolved before its registration came.
            raise NotYet(assignment.INCIDENT, event.incident_id)

    @service.handles(SlaEscalated)
    async def on_escalated(event: SlaEscalated, uow: UnitOfWork) -> None:
        """A reassigning step of the escalation ladder: the least-loaded colleague takes
        over, never the current assignee; with nobody else the incident waits in the
        backlog (the head hears of the escalation itself from notify)."""
        if not event.reassign:
            return
        why = f"escalation (level {event.level})"
        if await assignment.reassign(uow, event.incident_id, why):
            # The previous assignee has room again: something waiting may fit them.
            await assignment.drain_backlog(uow)

    @service.answers(ListAgents)
    async def list_agents(query: ListAgents, service: Service) -> AgentList:
        """The load board: load, capacity, presence and last assignment of each agent."""
        ids = list(query.agent_ids) if query.agent_ids is not None else None
        rows = await service.pool.fetch(
            "SELECT *, count(*) OVER () AS total FROM agents "
            "WHERE $1::uuid[] IS NULL OR agent_id = ANY($1::uuid[]) "
            "ORDER BY agent_id LIMIT $2 OFFSET $3",
            ids,
            query.limit,
            query.offset,
        )
        if rows:
            total = rows[0]["total"]
        else:
            total = await service.pool.fetchval(
                "SELECT count(*) FROM agents WHERE $1::uuid[] IS NULL OR agent_id = ANY($1)", ids
            )
        return AgentList(items=tuple(agent_view(row) for row in rows), total=total)

    @service.answers(GetBacklog)
    async def get_backlog(query: GetBacklog, service: Service) -> Backlog:
        """Waiting incidents in the order they will be assigned."""
        rows = await service.pool.fetch(
            "SELECT b.*, d.resolution_due, count(*) OVER () AS total "
            f"FROM {assignment.BACKLOG_FROM} ORDER BY {assignment.BACKLOG_ORDER} "
            "LIMIT $1 OFFSET $2",
            query.limit,
            query.offset,
        )
        total = (
            rows[0]["total"]
            if rows
            else await service.pool.fetchval("SELECT count(*) FROM backlog")
        )
        return Backlog(
            items=tuple(
                BacklogItem(
                    position=query.offset + index + 1,
                    incident_id=row["incident_id"],
                    priority=row["priority"],
                    resolution_due=row["resolution_due"],
                    registered_at=row["registered_at"],
                    category_path=tuple(row["category_path"]),
                    waiting_since=row["enqueued_at"],
                    escalated_from=row["escalated_from"],
                )
                for index, row in enumerate(rows)
            ),
            total=total,
        )

    @service.answers(ChangeAgentProfile)
    async def change_profile(query: ChangeAgentProfile, service: Service) -> AgentView:
        """Applies the named profile fields under the agent's lock, then drains the
        backlog; answers the profile as it stands after that."""
        async with service.transaction() as uow:
            await assignment.lock_agents_to_change_profile(uow.conn, query.agent_id)
            row = await uow.conn.fetchrow(
                "SELECT * FROM agents WHERE agent_id = $1", query.agent_id
            )
            if row is None and not query.create:
                raise NotFoundError("no agent profile")
            current = (
                UpsertAgentProfile(agent_id=query.agent_id)
                if row is None
                else UpsertAgentProfile(
                    agent_id=query.agent_id,
                    skills=tuple(tuple(skill) for skill in row["skills"]),
                    capacity=row["capacity"],
                    presence=Presence(row["presence"]),
                    group_head_id=row["group_head_id"],
                )
            )
            changed = current.model_copy(
                update={name: getattr(query, name) for name in query.fields}
            )
            if row is not None and not row["active"] and changed.presence is not Presence.OFFLINE:
                raise Conflict("the agent's user is deactivated: they stay offline")
            await save_profile(uow, changed)
            saved = await uow.conn.fetchrow(
                "SELECT * FROM agents WHERE agent_id = $1", query.agent_id
            )
        log.info("agent_profile_changed", agent_id=str(query.agent_id), fields=query.fields)
        return agent_view(saved)

    @service.answers(ReconcileLoads)
    async def reconcile(query: ReconcileLoads, service: Service) -> LoadsReconciled:
        """Operators: correct assignments, waiting incidents and loads from intake's
        incidents (what is open, whom intake records), then drain the backlog."""

        async def once() -> LoadsReconciled:
            async with service.transaction() as uow:
                return await reconcile_with_intake(
                    uow, lambda states: service.ask(states, IncidentStates)
                )

        result = await reconcile_with_retries(once)
        if result.arrivals_added:
            arrivals.set()
        log.info("reconciled_by", actor_id=str(query.actor_id) if query.actor_id else None)
        return result

    @service.answers(AssignByHand)
    async def assign_by_hand(query: AssignByHand, service: Service) -> AssignmentMade:
        """Staff assignment: refused (409) when the agent is not online or is full,
        unless overridden; outside the agent's skills is allowed and noted."""
        incident = IncidentFacts(
            query.incident_id, query.category_path, query.priority, query.registered_at
        )
        async with service.transaction() as uow:
            conn = uow.conn
            current = await conn.fetchval(
                "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open",
                query.incident_id,
            )
            also = [query.agent_id] + ([current] if current else [])
            agents = {a.agent_id: a for a in await lock_agents(conn, also=also)}
            await assignment.lock_incidents(conn, [query.incident_id])
            target = agents.get(query.agent_id)
            if target is None:
                raise Invalid.field("agent_id", "no agent profile")
            row = await conn.fetchrow(
                "SELECT agent_id, is_open FROM assignments WHERE incident_id = $1 FOR UPDATE",
                query.incident_id,
            )
            if row is not None and not row["is_open"]:
                raise Conflict("the incident is resolved or closed")
            previous = row["agent_id"] if row is not None else None
            if previous is not None and previous not in agents:
                # Reassigned between our read and our lock; the asker may simply retry.
                raise Conflict("the incident was reassigned meanwhile; try again")
            if previous == query.agent_id:
                return AssignmentMade(
                    incident_id=query.incident_id,
                    agent_id=query.agent_id,
                    previous_agent_id=previous,
                    changed=False,
                    reason="already assigned to this agent",
                    load=target.load,
                    capacity=target.capacity,
                )
            check = check_manual(target, query.category_path)
            if check.refusals:
                raise Conflict(
                    f"cannot assign: {'; '.join(check.refusals)}",
                    data={"blockers": list(check.refusals)},
                )
            if not check.allowed(query.override):
                raise Conflict(
                    f"cannot assign: {'; '.join(check.blockers)}; a head or admin may override",
                    data={"blockers": list(check.blockers)},
                )
            reason = assignment.describe_manual(
                query.actor_id, target, check.describe(query.override)
            )
            await assignment.record_assignment(
                uow,
                incident,
                agent_id=query.agent_id,
                reason=reason,
                at=utc_now(),
                previous_agent_id=previous,
                manual=True,
            )
            if previous is not None:
                await assignment.drain_backlog(uow)
            load = await conn.fetchval(
                "SELECT load FROM agents WHERE agent_id = $1", query.agent_id
            )
        log.info("assigned_by_hand", agent_id=str(query.agent_id), override=query.override)
        return AssignmentMade(
            incident_id=query.incident_id,
            agent_id=query.agent_id,
            previous_agent_id=previous,
            changed=True,
            reason=reason,
            load=load,
            capacity=target.capacity,
        )
