"""Staffing facts kept from the real broker's events and the report routing answers
(SPEC §15): arrivals by channel, worked time without the client's pauses, first answers
within target, agents online, and the clients waiting longer than their target."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from desk_contracts.enums import Channel, EntryKind, Presence, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    DeadlinesSet,
    EntryAdded,
    GetStaffing,
    IncidentRegistered,
    IncidentStatusChanged,
    ListWaitingClients,
    StaffingReport,
    UpsertAgentProfile,
    WaitingClients,
)
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import rpc_client, send, started, wait_until
from routing.staffing import hour_of_week

pytestmark = pytest.mark.integration

AGENT = uuid4()


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


def registered(
    incident_id: UUID, at: datetime, channel: Channel, path: tuple[str, ...] = ("fault",)
) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=incident_id,
        number=f"INC-{incident_id.int % 1000:06d}",
        title="Принтер не печатает",
        category_id=uuid4(),
        category_path=path,
        priority=Priority.NORMAL,
        channel=channel,
        requester_id=uuid4(),
        organization_id=uuid4(),
        registered_at=at,
    )


def due(incident_id: UUID, at: datetime, response_within: timedelta) -> DeadlinesSet:
    return DeadlinesSet(
        incident_id=incident_id,
        contract_id=uuid4(),
        contract_name="Standard",
        contract_version=1,
        response_due=at + response_within,
        resolution_due=at + timedelta(days=1),
        computed_at=at,
    )


def entry(incident_id: UUID, at: datetime, role: Role, visibility: Visibility) -> EntryAdded:
    return EntryAdded(
        incident_id=incident_id,
        number="INC-1",
        entry_id=uuid4(),
        kind=EntryKind.COMMENT,
        visibility=visibility,
        author_id=AGENT if role.is_staff else uuid4(),
        author_role=role,
        text="…",
        created_at=at,
        requester_id=uuid4(),
        organization_id=uuid4(),
    )


def status(incident_id: UUID, previous: Status, new: Status, at: datetime) -> IncidentStatusChanged:
    return IncidentStatusChanged(
        incident_id=incident_id,
        number="INC-1",
        previous=previous,
        status=new,
        changed_at=at,
        requester_id=uuid4(),
        category_path=("fault",),
        priority=Priority.NORMAL,
    )


async def fact(service: Service, incident_id: UUID, column: str) -> object:
    return await service.pool.fetchval(
        f"SELECT {column} FROM staffing_incidents WHERE incident_id = $1", incident_id
    )


async def test_facts_and_report(
    routing: Service, ask: RpcClient, desk_settings: DeskSettings
) -> None:
    await send(
        desk_settings,
        UpsertAgentProfile(
            agent_id=AGENT, skills=(("fault",),), capacity=2, presence=Presence.ONLINE
        ),
    )
    online_since = await wait_until(
        lambda: routing.pool.fetchval(
            "SELECT started_at FROM presence_intervals WHERE agent_id = $1 AND ended_at IS NULL",
            AGENT,
        )
    )
    # The story happens just after the agent came online (in an hour the agent is online).
    t0 = online_since.replace(microsecond=0) + timedelta(seconds=1)
    worked, waiting, late, early = uuid4(), uuid4(), uuid4(), uuid4()

    # A phone request answered in 10 minutes, waiting on the client for 30, resolved at 80.
    await send(desk_settings, registered(worked, t0, Channel.PHONE))
    await send(desk_settings, due(worked, t0, timedelta(minutes=30)))
    await wait_until(lambda: fact(routing, worked, "first_assigned_at"))
    await send(
        desk_settings, entry(worked, t0 + timedelta(minutes=5), Role.AGENT, Visibility.INTERNAL)
    )
    await send(
        desk_settings, entry(worked, t0 + timedelta(minutes=10), Role.AGENT, Visibility.PUBLIC)
    )
    await send(
        desk_settings,
        status(worked, Status.ASSIGNED, Status.WAITING_ON_CLIENT, t0 + timedelta(minutes=20)),
    )
    await send(
        desk_settings,
        status(worked, Status.WAITING_ON_CLIENT, Status.IN_PROGRESS, t0 + timedelta(minutes=50)),
    )
    await send(
        desk_settings,
        status(worked, Status.IN_PROGRESS, Status.RESOLVED, t0 + timedelta(minutes=80)),
    )

    # A portal request nobody has answered yet, within its target.
    await send(desk_settings, registered(waiting, t0, Channel.PORTAL))
    await send(desk_settings, due(waiting, t0, timedelta(minutes=30)))
    # One registered two hours ago, past its 30-minute target, assigned to nobody (no
    # agent has the skill).
    await send(desk_settings, registered(late, t0 - timedelta(hours=2), Channel.EMAIL, ("order",)))
    await send(desk_settings, due(late, t0 - timedelta(hours=2), timedelta(minutes=30)))
    # A reply whose incident's registration comes after it: it waits for it.
    await send(desk_settings, entry(early, t0 + timedelta(minutes=3), Role.HEAD, Visibility.PUBLIC))
    await send(desk_settings, registered(early, t0, Channel.API))
    # And one first answered after its target.
    await send(desk_settings, due(early, t0, timedelta(minutes=2)))

    await wait_until(lambda: fact(routing, worked, "worked_seconds"))
    await wait_until(lambda: fact(routing, early, "first_response_at"))
    await wait_until(lambda: fact(routing, late, "response_due"))
    await wait_until(lambda: fact(routing, waiting, "response_due"))
    await wait_until(lambda: fact(routing, early, "response_due"))

    assigned_at = await fact(routing, worked, "first_assigned_at")
    assert isinstance(assigned_at, datetime)
    expected = (t0 + timedelta(minutes=80) - assigned_at).total_seconds() - 30 * 60
    assert await fact(routing, worked, "worked_seconds") == pytest.approx(expected, abs=1)
    assert await fact(routing, worked, "client_waiting_since") is None
    assert await fact(routing, early, "client_waiting_since") is None
    assert await fact(routing, waiting, "client_waiting_since") == t0

    report = await ask.ask_as(
        GetStaffing(weeks=1, until=t0 + timedelta(hours=2), time_zone="UTC", service_level=0.8),
        StaffingReport,
    )
    assert report.incidents == 4
    assert report.answer_within_minutes == pytest.approx(30)  # the median target
    assert report.concurrency == pytest.approx(2)
    assert len(report.hours) == 168
    current = report.hours[hour_of_week(t0, UTC)]
    assert current.arrivals == pytest.approx(3)
    assert current.arrivals_by_channel == pytest.approx({"phone": 1, "portal": 1, "api": 1})
    assert current.handle_minutes == pytest.approx(expected / 60, abs=0.05)
    assert current.responses == 2
    assert current.responses_within_target == pytest.approx(0.5)
    assert current.needed >= 1
    assert current.online > 0
    before = report.hours[hour_of_week(t0 - timedelta(hours=2), UTC)]
    assert before.arrivals_by_channel == pytest.approx({"email": 1})
    assert before.online == 0  # the agent came online later
    assert before.hour_of_week in report.understaffed

    waiting_list = await ask.ask_as(ListWaitingClients(), WaitingClients)
    assert [w.incident_id for w in waiting_list.items] == [late]
    assert waiting_list.items[0].assignee_id is None
    assert waiting_list.items[0].target_minutes == pytest.approx(30)
    assert waiting_list.items[0].waited_minutes >= 119


async def test_the_report_refuses_an_unknown_zone(ask: RpcClient) -> None:
    with pytest.raises(ValueError, match="time zone"):
        GetStaffing(time_zone="Mars/Olympus")
    report = await ask.ask_as(GetStaffing(time_zone="Europe/Moscow"), StaffingReport)
    assert report.incidents == 0
    assert all(h.needed == 0 for h in report.hours)
