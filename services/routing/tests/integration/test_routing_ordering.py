"""A reclassification that reaches routing before the incident's registration (another
queue) against the real broker and database: it waits for the placement, parked, and
then decides where the incident waits and who may take it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from desk_contracts.enums import Channel, Presence, Priority, Status
from desk_contracts.messages import (
    IncidentReclassified,
    IncidentRegistered,
    IncidentStatusChanged,
    UpsertAgentProfile,
)
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import send, started, wait_until

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def routing(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    from routing.app import build

    service = build(desk_settings)
    async with started(service):
        yield service


def registered(incident_id: UUID) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=incident_id,
        number="INC-1",
        title="t",
        category_id=uuid4(),
        category_path=("fault", "software"),
        priority=Priority.NORMAL,
        channel=Channel.API,
        requester_id=uuid4(),
        organization_id=uuid4(),
        registered_at=T0,
    )


def reclassified(incident_id: UUID, minute: int = 5) -> IncidentReclassified:
    return IncidentReclassified(
        incident_id=incident_id,
        category_id=uuid4(),
        category_path=("request", "access"),
        priority=Priority.CRITICAL,
        changed_at=T0.replace(minute=minute),
    )


async def parked(service: Service, incident_id: UUID) -> bool:
    return bool(
        await service.pool.fetchval(
            "SELECT 1 FROM parked_messages WHERE awaits = $1", f"incident:{incident_id}"
        )
    )


async def test_a_reclassification_ahead_of_the_registration_sends_it_to_the_right_agent(
    routing: Service, desk_settings: DeskSettings
) -> None:
    """Only an agent for access requests is online. Registered as a software fault the
    incident would wait for nobody; reclassified first, it goes to that agent."""
    agent = uuid4()
    await send(
        desk_settings,
        UpsertAgentProfile(
            agent_id=agent, skills=(("request",),), capacity=3, presence=Presence.ONLINE
        ),
    )
    await wait_until(
        lambda: routing.pool.fetchval("SELECT 1 FROM agents WHERE agent_id = $1", agent)
    )
    incident = uuid4()
    await send(desk_settings, reclassified(incident))
    await wait_until(lambda: parked(routing, incident))

    await send(desk_settings, registered(incident))
    row = await wait_until(
        lambda: routing.pool.fetchrow(
            "SELECT agent_id, category_path, priority FROM assignments WHERE incident_id = $1",
            incident,
        )
    )
    assert (row["agent_id"], tuple(row["category_path"]), row["priority"]) == (
        agent,
        ("request", "access"),
        "critical",
    )
    assert await routing.pool.fetchval("SELECT load FROM agents WHERE agent_id = $1", agent) == 1
    assert not await routing.pool.fetchval("SELECT count(*) FROM backlog")
    assert not await routing.pool.fetchval("SELECT count(*) FROM parked_messages")
    assert not await routing.pool.fetchval("SELECT count(*) FROM message_failures")


async def test_a_reclassification_of_an_incident_resolved_before_its_registration_is_moot(
    routing: Service, desk_settings: DeskSettings
) -> None:
    """Nothing to place and nothing to wait for: routing keeps only that it is closed."""
    incident = uuid4()
    await send(
        desk_settings,
        IncidentStatusChanged(
            incident_id=incident,
            number="INC-1",
            previous=Status.IN_PROGRESS,
            status=Status.RESOLVED,
            changed_at=T0.replace(minute=1),
            requester_id=uuid4(),
            category_path=("fault", "software"),
            priority=Priority.NORMAL,
        ),
    )
    await wait_until(
        lambda: routing.pool.fetchval(
            "SELECT 1 FROM incident_states WHERE incident_id = $1", incident
        )
    )
    await send(desk_settings, reclassified(incident))
    await wait_until(
        lambda: routing.pool.fetchval(
            "SELECT 1 FROM inbox WHERE consumer LIKE '%incident.reclassified'"
        )
    )
    assert not await routing.pool.fetchval("SELECT count(*) FROM parked_messages")
