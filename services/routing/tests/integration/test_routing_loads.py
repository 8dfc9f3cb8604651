"""Routing against the real broker and database: loads kept from events exactly once,
backlog ordered by priority and resolution due, escalation never back to the assignee,
reconcile, and the request/reply answers the gateway uses."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Envelope, Message
from desk_contracts.enums import Channel, Presence, Priority, Role, Status
from desk_contracts.messages import (
    AgentList,
    AgentView,
    AssignByHand,
    AssignmentMade,
    Backlog,
    ChangeAgentProfile,
    DeadlinesSet,
    GetBacklog,
    IncidentAssigned,
    IncidentBacklogged,
    IncidentRegistered,
    IncidentStatusChanged,
    ListAgents,
    Principal,
    SlaEscalated,
    UpsertAgentProfile,
    UserUpserted,
)
from desk_contracts.topology import EVENTS_EXCHANGE, exchange_name
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import publish, publish_many, rpc_client, send, started, wait_until
from routing import store
from routing.assignment import reconcile_loads
from routing.store import BACKLOG_FROM, BACKLOG_ORDER, PLACEMENTS_LOCK

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PATH = ("fault", "software")
HEAD = UUID(int=500)


@contextlib.asynccontextmanager
async def heard(settings: DeskSettings, model: type[Message]) -> AsyncIterator[list[Any]]:
    """The `model` events published while the block runs, as a subscriber receives them."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange_name(settings.namespace, EVENTS_EXCHANGE), model.ROUTING_KEY)
        received: list[dict[str, Any]] = []

        async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received.append(json.loads(message.body))

        await queue.consume(collect, no_ack=True)
        yield received
    finally:
        await connection.close()


@pytest_asyncio.fixture
async def backlogged(routing: Service, desk_settings: DeskSettings) -> AsyncIterator[list[Any]]:
    """The IncidentBacklogged events routing publishes."""
    async with heard(desk_settings, IncidentBacklogged) as events:
        yield events


@pytest_asyncio.fixture
async def routing(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    from routing.app import build

    service = build(desk_settings)
    async with started(service):
        yield service


@pytest_asyncio.fixture
async def ask(routing: Service, desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    async with rpc_client(desk_settings, routing.connection, timeout=5) as client:
        yield client


def escalated(incident_id: UUID, *, reassign: bool = True) -> SlaEscalated:
    """The first step of the escalation ladder, as sla announces it."""
    return SlaEscalated(
        incident_id=incident_id,
        level=1,
        notify="group_head",
        reassign=reassign,
        fired_at=T0 + timedelta(days=1),
    )


def registered(
    incident_id: UUID, *, priority: Priority = Priority.NORMAL, path: tuple[str, ...] = PATH
) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=incident_id,
        number="INC-1",
        title="t",
        category_id=uuid4(),
        category_path=path,
        priority=priority,
        channel=Channel.API,
        requester_id=uuid4(),
        organization_id=uuid4(),
        registered_at=T0,
    )


def status(
    incident_id: UUID, previous: Status, new: Status, *, minute: int = 0
) -> IncidentStatusChanged:
    return IncidentStatusChanged(
        incident_id=incident_id,
        number="INC-1",
        previous=previous,
        status=new,
        changed_at=T0 + timedelta(minutes=minute),
        requester_id=uuid4(),
        category_path=PATH,
        priority=Priority.NORMAL,
    )


async def loads(service: Service) -> dict[UUID, int]:
    rows = await service.pool.fetch("SELECT agent_id, load FROM agents")
    return {row["agent_id"]: row["load"] for row in rows}


async def assignee(service: Service, incident_id: UUID) -> UUID | None:
    value: UUID | None = await service.pool.fetchval(
        "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open", incident_id
    )
    return value


async def handled(service: Service, queue_suffix: str, count: int) -> bool:
    """Whether routing's consumer of that queue has handled `count` distinct messages."""
    done = await service.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer LIKE '%' || $1", queue_suffix
    )
    return bool(done == count)


async def backlog_ids(service: Service) -> list[UUID]:
    rows = await service.pool.fetch(
        f"SELECT b.incident_id FROM {BACKLOG_FROM} ORDER BY {BACKLOG_ORDER}"
    )
    return [row["incident_id"] for row in rows]


async def profile(
    settings: DeskSettings,
    service: Service,
    agent_id: UUID,
    *,
    capacity: int,
    presence: Presence = Presence.ONLINE,
    skills: tuple[tuple[str, ...], ...] = (("fault",),),
) -> None:
    await send(
        settings,
        UpsertAgentProfile(
            agent_id=agent_id,
            skills=skills,
            capacity=capacity,
            presence=presence,
            group_head_id=HEAD,
        ),
    )

    async def applied() -> bool:
        row = await service.pool.fetchrow(
            "SELECT capacity, presence FROM agents WHERE agent_id = $1", agent_id
        )
        return row is not None and (row["capacity"], row["presence"]) == (capacity, presence)

    await wait_until(applied)


def by_hand(incident_id: UUID, agent_id: UUID, *, override: bool = False) -> AssignByHand:
    """Staff's assignment of a normal fault registered at T0."""
    return AssignByHand(
        incident_id=incident_id,
        agent_id=agent_id,
        principal=Principal(user_id=UUID(int=99), role=Role.HEAD),
        category_path=PATH,
        priority=Priority.NORMAL,
        registered_at=T0,
        override=override,
    )


async def backlog_as_a_placement_would(conn: asyncpg.Connection, incident_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO backlog (incident_id, category_path, priority, priority_rank, "
        "registered_at) VALUES ($1, $2, 'normal', $3, $4)",
        incident_id,
        list(PATH),
        Priority.NORMAL.rank,
        T0,
    )


async def test_loads_follow_events_once_each_and_a_freed_slot_drains_the_backlog(
    routing: Service, desk_settings: DeskSettings
) -> None:
    anna = UUID(int=1)
    await profile(desk_settings, routing, anna, capacity=2)
    incidents = [uuid4(), uuid4(), uuid4()]
    for incident in incidents:
        await send(desk_settings, registered(incident))
    await wait_until(lambda: backlog_ids(routing))
    # Deliveries are handled concurrently, so which of the three comes last is the
    # broker's choice: whichever it is waits, the other two are anna's.
    waiting = await backlog_ids(routing)
    assert len(waiting) == 1
    third = waiting[0]
    first, second = (incident for incident in incidents if incident != third)
    assert await loads(routing) == {anna: 2}
    assert {await assignee(routing, first), await assignee(routing, second)} == {anna}

    resolved = await send(
        desk_settings, status(first, Status.IN_PROGRESS, Status.RESOLVED, minute=1)
    )
    await publish(desk_settings, resolved)  # the broker delivers the same message again
    # …and intake announces the close later: a second release of the same incident.
    await send(desk_settings, status(first, Status.RESOLVED, Status.CLOSED, minute=2))
    await wait_until(lambda: assignee(routing, third))
    assert await assignee(routing, third) == anna
    assert await backlog_ids(routing) == []

    await wait_until(lambda: handled(routing, "status_changed", 2))
    assert await loads(routing) == {anna: 2}  # second and third; first counted off once

    # A reopen takes the incident back even beyond capacity (it is that agent's work);
    # a second announcement of the same reopen does not count it twice.
    await send(desk_settings, status(first, Status.RESOLVED, Status.REOPENED, minute=3))
    await send(desk_settings, status(first, Status.RESOLVED, Status.REOPENED, minute=3))

    await wait_until(lambda: handled(routing, "status_changed", 4))
    assert await assignee(routing, first) == anna
    assert await loads(routing) == {anna: 3}


async def test_status_changes_count_in_the_order_they_were_made_not_received(
    routing: Service, desk_settings: DeskSettings
) -> None:
    anna = UUID(int=1)
    await profile(desk_settings, routing, anna, capacity=5)
    # Resolved at once (a call logged and closed), the resolution overtaking the
    # registration: nobody is charged and nothing waits.
    quick = uuid4()
    await send(desk_settings, status(quick, Status.NEW, Status.RESOLVED, minute=1))
    await wait_until(lambda: handled(routing, "status_changed", 1))
    await send(desk_settings, registered(quick))
    await wait_until(lambda: handled(routing, "registered", 1))
    assert await assignee(routing, quick) is None
    assert await backlog_ids(routing) == []
    assert await loads(routing) == {anna: 0}

    # Reopened, it is nobody's yet: it is placed like a new incident.
    await send(desk_settings, status(quick, Status.RESOLVED, Status.REOPENED, minute=3))
    await wait_until(lambda: assignee(routing, quick))
    assert await assignee(routing, quick) == anna
    assert await loads(routing) == {anna: 1}

    # A resolution made before that reopen, delivered after it, changes nothing.
    await send(desk_settings, status(quick, Status.IN_PROGRESS, Status.RESOLVED, minute=2))
    await wait_until(lambda: handled(routing, "status_changed", 3))
    assert await assignee(routing, quick) == anna
    assert await loads(routing) == {anna: 1}

    # Resolved again; the work resumed after a reopen whose own announcement lags: the
    # change that reaches routing first brings the incident back to anna, the lagging
    # reopen and a wait on the client (same side, open) change no load.
    await send(desk_settings, status(quick, Status.IN_PROGRESS, Status.RESOLVED, minute=5))
    await wait_until(lambda: handled(routing, "status_changed", 4))
    assert await loads(routing) == {anna: 0}
    await send(desk_settings, status(quick, Status.REOPENED, Status.IN_PROGRESS, minute=7))
    await wait_until(lambda: handled(routing, "status_changed", 5))
    assert await loads(routing) == {anna: 1}
    await send(desk_settings, status(quick, Status.RESOLVED, Status.REOPENED, minute=6))
    await send(desk_settings, status(quick, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, minute=8))
    await wait_until(lambda: handled(routing, "status_changed", 7))
    assert await assignee(routing, quick) == anna
    assert await loads(routing) == {anna: 1}


async def test_backlog_orders_by_priority_then_resolution_due(
    routing: Service, desk_settings: DeskSettings
) -> None:
    low, late, early, critical = uuid4(), uuid4(), uuid4(), uuid4()
    await send(desk_settings, registered(low, priority=Priority.LOW))
    await send(desk_settings, registered(late))
    await send(desk_settings, registered(early))
    await send(desk_settings, registered(critical, priority=Priority.CRITICAL))
    await wait_until(lambda: len_is(backlog_ids(routing), 4))
    for incident, hours in ((late, 9), (early, 3)):
        await send(
            desk_settings,
            DeadlinesSet(
                incident_id=incident,
                contract_id=uuid4(),
                contract_name="Standard",
                contract_version=1,
                response_due=T0,
                resolution_due=T0 + timedelta(hours=hours),
                computed_at=T0,
            ),
        )

    async def ordered() -> bool:
        return await backlog_ids(routing) == [critical, early, late, low]

    await wait_until(ordered)
    # An agent with two slots takes the two most urgent, in that order of urgency.
    boris = UUID(int=2)
    await profile(desk_settings, routing, boris, capacity=2)
    await wait_until(lambda: len_is(backlog_ids(routing), 2))
    assert await assignee(routing, critical) == boris
    assert await assignee(routing, early) == boris
    assert await backlog_ids(routing) == [late, low]
    # Resolved while still waiting (e.g. answered by phone): it waits no longer.
    await send(desk_settings, status(low, Status.NEW, Status.RESOLVED))
    await wait_until(lambda: len_is(backlog_ids(routing), 1))
    assert await backlog_ids(routing) == [late]


async def len_is(items: Any, n: int) -> bool:
    return len(await items) == n


async def test_a_burst_of_registrations_is_placed_together_each_announcement_in_its_thread(
    routing: Service, desk_settings: DeskSettings, backlogged: list[dict[str, Any]]
) -> None:
    """Registrations that queue up are placed several to a transaction (one lock of the
    agents for the batch); every placement still answers its own registration: the
    assignment or backlog announcement continues that registration's correlation."""
    from desk_contracts.topology import consumer_queue
    from prometheus_client import REGISTRY

    queue = consumer_queue(desk_settings.namespace, "routing", IncidentRegistered)

    def batch_metric(name: str) -> float:
        value = REGISTRY.get_sample_value(f"desk_message_batch_size_{name}", {"queue": queue})
        return value or 0.0

    anna, boris = UUID(int=1), UUID(int=2)
    for agent in (anna, boris):
        await profile(desk_settings, routing, agent, capacity=30)
    registrations = [Envelope.wrap(registered(uuid4()), producer="test") for _ in range(80)]
    deliveries_before, transactions_before = batch_metric("sum"), batch_metric("count")

    async with heard(desk_settings, IncidentAssigned) as assigned:
        await publish_many(desk_settings, registrations)
        await wait_until(lambda: len(assigned) == 60 and len(backlogged) == 20, timeout=30)

    assert await loads(routing) == {anna: 30, boris: 30}
    by_incident = {str(e.payload.incident_id): e for e in registrations}
    for announcement in [*assigned, *backlogged]:
        cause = by_incident.pop(announcement["payload"]["incident_id"])
        assert announcement["correlation_id"] == str(cause.correlation_id)
        assert announcement["causation_id"] == str(cause.message_id)
    assert by_incident == {}, "each registration answered exactly once"
    transactions = batch_metric("count") - transactions_before
    deliveries = batch_metric("sum") - deliveries_before
    assert deliveries == len(registrations)
    assert transactions < deliveries, "the burst was placed one registration at a time"


async def anna_holds_one_then_boris_comes(
    routing: Service, settings: DeskSettings, anna: UUID, boris: UUID
) -> UUID:
    """Anna, alone online, is given an incident; then Boris comes online, free."""
    await profile(settings, routing, anna, capacity=5)
    incident = uuid4()
    await send(settings, registered(incident))
    await wait_until(lambda: assignee(routing, incident))
    await profile(settings, routing, boris, capacity=5)
    return incident


async def test_escalation_moves_work_elsewhere_or_waits_without_returning_it(
    routing: Service, desk_settings: DeskSettings, backlogged: list[dict[str, Any]]
) -> None:
    anna, boris = UUID(int=1), UUID(int=2)
    incident = await anna_holds_one_then_boris_comes(routing, desk_settings, anna, boris)

    await send(desk_settings, escalated(incident))

    async def with_boris() -> bool:
        return await assignee(routing, incident) == boris

    await wait_until(with_boris)
    assert await loads(routing) == {anna: 0, boris: 1}
    reason = await routing.pool.fetchval(
        "SELECT reason FROM assignments WHERE incident_id = $1", incident
    )
    assert reason.startswith("escalation (level 1)")
    # A step of the ladder that only tells someone leaves the work where it is.
    await send(desk_settings, escalated(incident, reassign=False))
    await wait_until(lambda: handled(routing, "escalated", 2))
    assert await assignee(routing, incident) == boris

    # Nobody but the current assignee is eligible: it waits, still with boris, and is
    # never handed back to him when the backlog drains.
    await profile(desk_settings, routing, anna, capacity=5, presence=Presence.OFFLINE)
    await send(desk_settings, escalated(incident))
    await wait_until(lambda: backlog_ids(routing))
    assert await assignee(routing, incident) == boris
    assert (
        await routing.pool.fetchval(
            "SELECT escalated_from FROM backlog WHERE incident_id = $1", incident
        )
        == boris
    )
    told = await wait_until(lambda: [e for e in backlogged if e["payload"]["escalated"]])
    assert told[0]["payload"]["current_agent_id"] == str(boris)
    assert told[0]["payload"]["group_head_id"] == str(HEAD)
    # Boris gaining capacity drains the backlog, but it never goes back to him.
    await profile(desk_settings, routing, boris, capacity=6)
    assert await backlog_ids(routing) == [incident]

    await profile(desk_settings, routing, anna, capacity=5)
    await wait_until(lambda: len_is(backlog_ids(routing), 0))
    assert await assignee(routing, incident) == anna
    assert await loads(routing) == {anna: 1, boris: 0}


async def test_reconcile_recounts_loads_from_open_assignments(
    routing: Service, desk_settings: DeskSettings
) -> None:
    anna = UUID(int=1)
    await profile(desk_settings, routing, anna, capacity=5)
    for _ in range(3):
        await send(desk_settings, registered(uuid4()))

    async def three() -> bool:
        return (await loads(routing)).get(anna) == 3

    await wait_until(three)
    await routing.pool.execute("UPDATE agents SET load = 7")
    conn: asyncpg.Connection = await asyncpg.connect(desk_settings.database_url("routing"))
    try:
        assert await reconcile_loads(conn) == [(anna, 7, 3)]
        assert await reconcile_loads(conn) == []
    finally:
        await conn.close()
    assert await loads(routing) == {anna: 3}


async def test_profile_changes_board_backlog_and_assignment_by_hand(
    routing: Service, desk_settings: DeskSettings, ask: RpcClient
) -> None:
    anna, boris = UUID(int=1), UUID(int=2)
    with pytest.raises(RemoteFailure) as missing:
        await ask.ask(ChangeAgentProfile(agent_id=anna, fields=("presence",)))
    assert missing.value.failure.status == 404
    created = await ask.ask(
        ChangeAgentProfile(
            agent_id=anna, fields=("skills", "capacity"), create=True, skills=(), capacity=1
        )
    )
    assert isinstance(created, AgentView)
    assert (created.presence, created.capacity, created.skills) == (Presence.OFFLINE, 1, ())

    incident = uuid4()
    await send(desk_settings, registered(incident))
    await wait_until(lambda: backlog_ids(routing))
    waiting = await ask.ask(GetBacklog())
    assert isinstance(waiting, Backlog)
    assert [(i.position, i.incident_id) for i in waiting.items] == [(1, incident)]
    assert waiting.total == 1
    # People read the backlog by number and title, learnt from the registration.
    assert (waiting.items[0].number, waiting.items[0].title) == ("INC-1", "t")

    assignment = by_hand(incident, anna)
    with pytest.raises(RemoteFailure) as refused:
        await ask.ask(assignment)
    assert refused.value.failure.status == 409
    assert "offline" in refused.value.failure.detail
    made = await ask.ask(assignment.model_copy(update={"override": True}))
    assert isinstance(made, AssignmentMade)
    assert (made.changed, made.load, made.capacity) == (True, 1, 1)
    assert "overridden" in made.reason
    assert "outside the agent's skills" in made.reason
    again = await ask.ask(assignment)
    assert isinstance(again, AssignmentMade)
    assert again.changed is False
    assert await backlog_ids(routing) == []

    online = await ask.ask(
        ChangeAgentProfile(agent_id=anna, fields=("presence",), presence=Presence.ONLINE)
    )
    assert isinstance(online, AgentView)
    assert (online.presence, online.skills, online.load) == (Presence.ONLINE, (), 1)
    await ask.ask(ChangeAgentProfile(agent_id=boris, fields=("capacity",), create=True, capacity=2))
    moved = await ask.ask(assignment.model_copy(update={"agent_id": boris, "override": True}))
    assert isinstance(moved, AssignmentMade)
    assert moved.previous_agent_id == anna
    with pytest.raises(RemoteFailure) as unknown:
        await ask.ask(assignment.model_copy(update={"agent_id": UUID(int=7)}))
    assert unknown.value.failure.status == 422
    assert unknown.value.failure.errors[0].field == "agent_id"

    board = await ask.ask(ListAgents())
    assert isinstance(board, AgentList)
    assert [(a.agent_id, a.load) for a in board.items] == [(anna, 0), (boris, 1)]
    assert board.total == 2
    one = await ask.ask(ListAgents(agent_ids=(boris,)))
    assert isinstance(one, AgentList)
    assert [a.agent_id for a in one.items] == [boris]


def user(agent_id: UUID, *, active: bool, role: Role = Role.AGENT) -> UserUpserted:
    return UserUpserted(
        user_id=agent_id, username=f"u{agent_id.int}", display_name="U", role=role, active=active
    )


async def test_a_deactivated_agent_hands_work_over_and_takes_no_more(
    routing: Service, desk_settings: DeskSettings, ask: RpcClient
) -> None:
    anna, boris = UUID(int=1), UUID(int=2)
    held = await anna_holds_one_then_boris_comes(routing, desk_settings, anna, boris)

    # A user who never had a profile changes nothing here.
    await send(desk_settings, user(UUID(int=3), active=False))
    await send(desk_settings, user(anna, active=False))

    async def with_boris() -> bool:
        return await assignee(routing, held) == boris

    await wait_until(with_boris)
    row = await routing.pool.fetchrow(
        "SELECT active, presence FROM agents WHERE agent_id = $1", anna
    )
    assert (row["active"], row["presence"]) == (False, "offline")
    assert await loads(routing) == {anna: 0, boris: 1}
    reason = await routing.pool.fetchval(
        "SELECT reason FROM assignments WHERE incident_id = $1", held
    )
    assert reason.startswith("handed over: the agent was deactivated")
    assert await routing.pool.fetchval("SELECT count(*) FROM agents") == 2

    # Neither she nor an admin can bring her online, and no one can give her work.
    with pytest.raises(RemoteFailure) as refused:
        await ask.ask(
            ChangeAgentProfile(agent_id=anna, fields=("presence",), presence=Presence.ONLINE)
        )
    assert refused.value.failure.status == 409
    assert "deactivated" in refused.value.failure.detail
    fresh = uuid4()
    with pytest.raises(RemoteFailure) as refused_by_hand:
        await ask.ask(by_hand(fresh, anna, override=True))
    assert refused_by_hand.value.failure.status == 409
    # A profile sent as a command (an import, say) does not bring her online either.
    await send(
        desk_settings,
        UpsertAgentProfile(
            agent_id=anna, skills=(("fault",),), capacity=9, presence=Presence.ONLINE
        ),
    )

    async def capacity_applied() -> bool:
        return (
            await routing.pool.fetchval("SELECT capacity FROM agents WHERE agent_id = $1", anna)
            == 9
        )

    await wait_until(capacity_applied)
    assert (
        await routing.pool.fetchval("SELECT presence FROM agents WHERE agent_id = $1", anna)
        == "offline"
    )
    await send(desk_settings, registered(fresh))
    await wait_until(lambda: assignee(routing, fresh))
    assert await assignee(routing, fresh) == boris

    # Active staff again: she may come back online herself.
    await send(desk_settings, user(anna, active=True))

    async def reactivated() -> bool:
        return bool(
            await routing.pool.fetchval("SELECT active FROM agents WHERE agent_id = $1", anna)
        )

    await wait_until(reactivated)
    back = await ask.ask(
        ChangeAgentProfile(agent_id=anna, fields=("presence",), presence=Presence.ONLINE)
    )
    assert isinstance(back, AgentView)
    assert back.presence is Presence.ONLINE
    # Made a client, she is out of the rota again.
    await send(desk_settings, user(anna, active=True, role=Role.CLIENT))

    async def offline_again() -> bool:
        return (
            await routing.pool.fetchval("SELECT presence FROM agents WHERE agent_id = $1", anna)
            == "offline"
        )

    await wait_until(offline_again)


async def someone_waits_for_an_advisory_lock(routing: Service) -> bool:
    """Whether a transaction in routing's database waits for an advisory lock."""
    waiting = await routing.pool.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return bool(waiting == 1)


async def test_an_agent_coming_online_during_a_placement_gets_what_it_backlogged(
    routing: Service, desk_settings: DeskSettings
) -> None:
    """A placement in flight (it found nobody online and is backlogging an incident)
    holds the placements' shared lock; the profile change that brings anna online waits
    for it, so its backlog drain sees the incident instead of an empty backlog."""
    anna = UUID(int=1)
    await profile(desk_settings, routing, anna, capacity=5, presence=Presence.OFFLINE)
    incident = uuid4()
    placement = await asyncpg.connect(desk_settings.database_url("routing"))
    try:
        in_flight = placement.transaction()
        await in_flight.start()
        await placement.execute("SELECT pg_advisory_xact_lock_shared($1)", PLACEMENTS_LOCK)
        await backlog_as_a_placement_would(placement, incident)
        await send(
            desk_settings,
            UpsertAgentProfile(
                agent_id=anna, skills=(("fault",),), capacity=5, presence=Presence.ONLINE
            ),
        )

        await wait_until(lambda: someone_waits_for_an_advisory_lock(routing))
        await in_flight.commit()
    finally:
        await placement.close()
    await wait_until(lambda: assignee(routing, incident))
    assert await assignee(routing, incident) == anna
    assert await backlog_ids(routing) == []


async def test_an_assignment_by_hand_racing_a_placement_leaves_one_outcome(
    routing: Service, desk_settings: DeskSettings, ask: RpcClient
) -> None:
    """Nobody online: a placement locks no agent, only the incident. An assignment by
    hand of that incident waits for it, then takes the incident out of the backlog the
    placement put it in: assigned once, waiting nowhere."""
    anna = UUID(int=1)
    await profile(desk_settings, routing, anna, capacity=5, presence=Presence.OFFLINE)
    incident = uuid4()
    placement = await asyncpg.connect(desk_settings.database_url("routing"))
    try:
        in_flight = placement.transaction()
        await in_flight.start()
        await placement.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))", incident
        )
        await backlog_as_a_placement_would(placement, incident)
        assigning = asyncio.ensure_future(ask.ask(by_hand(incident, anna, override=True)))

        await wait_until(lambda: someone_waits_for_an_advisory_lock(routing))
        await in_flight.commit()
        made = await assigning
    finally:
        await placement.close()
    assert isinstance(made, AssignmentMade)
    assert made.changed is True
    assert await assignee(routing, incident) == anna
    assert await backlog_ids(routing) == []
    assert await loads(routing) == {anna: 1}


async def test_assignment_reasons_name_people_whichever_came_first(
    routing: Service, desk_settings: DeskSettings, ask: RpcClient
) -> None:
    anna, boris, helen = UUID(int=1), UUID(int=2), UUID(int=99)
    # anna's name arrives before her profile, boris's after his.
    await send(desk_settings, user(anna, active=True).model_copy(update={"display_name": "Anna P"}))
    await send(desk_settings, user(helen, active=True).model_copy(update={"display_name": "Helen"}))
    await wait_until(lambda: store.name_of(routing.pool, helen))
    for agent in (anna, boris):
        await ask.ask(
            ChangeAgentProfile(
                agent_id=agent,
                fields=("skills", "capacity", "presence"),
                create=True,
                skills=((),),
                capacity=2,
                presence=Presence.ONLINE,
            )
        )
    await send(desk_settings, user(boris, active=True).model_copy(update={"display_name": "Boris"}))

    async def boris_named() -> bool:
        return await store.name_of(routing.pool, boris) == "Boris" and (
            await routing.pool.fetchval(
                "SELECT display_name FROM agents WHERE agent_id = $1", boris
            )
            == "Boris"
        )

    await wait_until(boris_named)
    incident = uuid4()
    await send(desk_settings, registered(incident))

    async def placed() -> str | None:
        reason: str | None = await routing.pool.fetchval(
            "SELECT reason FROM assignments WHERE incident_id = $1", incident
        )
        return reason

    reason = await wait_until(placed)
    assert "Anna P 0/2" in reason
    assert "Boris 0/2" in reason
    assert str(anna)[:8] not in reason
    made = await ask.ask(by_hand(incident, boris if "Anna P" in reason.split(",")[0] else anna))
    assert isinstance(made, AssignmentMade)
    assert made.reason.startswith("assigned by hand by Helen to ")
