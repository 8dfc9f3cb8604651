"""Events that reach sla before the incident's registration (they travel on other
queues) against the real broker and database: each waits for it, parked, and counts
once the registration is handled; assignments that waited in the table of old move
to the parked messages."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from desk_contracts import Message, utc_now
from desk_contracts.enums import Channel, EntryKind, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    EntryAdded,
    IncidentAssigned,
    IncidentRegistered,
    IncidentStatusChanged,
)
from desk_runtime.db import create_pool, ensure_database
from desk_runtime.migrations import RUNTIME_MIGRATIONS, migrate
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import send, wait_until
from sla.app import MIGRATIONS, build

pytestmark = pytest.mark.integration


def registration(incident_id: UUID, at: datetime) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=incident_id,
        number="INC-000003",
        title="Scanner jams",
        category_id=uuid4(),
        category_path=("fault",),
        priority=Priority.NORMAL,
        channel=Channel.PORTAL,
        requester_id=uuid4(),
        organization_id=uuid4(),
        registered_at=at,
    )


def assigned(incident_id: UUID, agent_id: UUID, at: datetime) -> IncidentAssigned:
    return IncidentAssigned(
        incident_id=incident_id, agent_id=agent_id, reason="least loaded", assigned_at=at
    )


async def parked(service: Service, incident_id: UUID, count: int) -> bool:
    found = await service.pool.fetchval(
        "SELECT count(*) FROM parked_messages WHERE awaits = $1", f"incident:{incident_id}"
    )
    return bool(found == count)


async def clock_when(service: Service, incident_id: UUID, check: Any) -> Any:
    async def found() -> Any:
        row = await service.pool.fetchrow(
            "SELECT * FROM incident_clocks WHERE incident_id = $1", incident_id
        )
        return row if row is not None and check(row) else None

    return await wait_until(found)


async def nothing_left_over(service: Service) -> None:
    assert not await service.pool.fetchval("SELECT count(*) FROM parked_messages")
    assert not await service.pool.fetchval("SELECT count(*) FROM message_failures")


async def test_an_assignment_a_wait_and_an_answer_ahead_of_the_registration_all_count(
    sla: Service, desk_settings: DeskSettings
) -> None:
    incident_id, agent_id = uuid4(), uuid4()
    registered_at = utc_now() - timedelta(seconds=30)
    answered_at = registered_at + timedelta(seconds=5)
    waiting_since = registered_at + timedelta(seconds=10)
    early: list[Message] = [
        assigned(incident_id, agent_id, registered_at + timedelta(seconds=1)),
        EntryAdded(
            incident_id=incident_id,
            number="INC-000003",
            entry_id=uuid4(),
            kind=EntryKind.COMMENT,
            visibility=Visibility.PUBLIC,
            author_id=agent_id,
            author_role=Role.AGENT,
            text="Which scanner model is it?",
            created_at=answered_at,
            requester_id=uuid4(),
            organization_id=uuid4(),
        ),
        IncidentStatusChanged(
            incident_id=incident_id,
            number="INC-000003",
            previous=Status.IN_PROGRESS,
            status=Status.WAITING_ON_CLIENT,
            changed_at=waiting_since,
            requester_id=uuid4(),
            category_path=("fault",),
            priority=Priority.NORMAL,
        ),
    ]
    for message in early:
        await send(desk_settings, message)
    await wait_until(lambda: parked(sla, incident_id, len(early)))
    assert not await sla.pool.fetchval(
        "SELECT 1 FROM incident_clocks WHERE incident_id = $1", incident_id
    )

    await send(desk_settings, registration(incident_id, registered_at))
    row = await clock_when(sla, incident_id, lambda r: r["status"] == "waiting_on_client")
    assert row["assignee_id"] == agent_id
    assert row["first_response_at"] == answered_at
    pauses = await sla.pool.fetch(
        "SELECT started_at, ended_at FROM incident_pauses WHERE incident_id = $1", incident_id
    )
    assert [(p["started_at"], p["ended_at"]) for p in pauses] == [(waiting_since, None)]
    await nothing_left_over(sla)


async def test_of_two_assignments_the_later_stands_whichever_is_handled_last(
    sla: Service, desk_settings: DeskSettings
) -> None:
    """Both overtake the registration, the later one first: replayed in the order they
    were parked, the earlier one changes nothing."""
    incident_id, first, second = uuid4(), uuid4(), uuid4()
    now = utc_now()
    await send(desk_settings, assigned(incident_id, second, now + timedelta(seconds=2)))
    await wait_until(lambda: parked(sla, incident_id, 1))
    await send(desk_settings, assigned(incident_id, first, now + timedelta(seconds=1)))
    await wait_until(lambda: parked(sla, incident_id, 2))

    await send(desk_settings, registration(incident_id, now))
    row = await clock_when(sla, incident_id, lambda r: r["status"] == "assigned")
    assert row["assignee_id"] == second
    await nothing_left_over(sla)


async def test_assignments_waiting_in_the_table_of_old_move_to_the_parked_messages(
    desk_settings: DeskSettings, tmp_path: Path
) -> None:
    """A database migrated before assignments were parked, with one still waiting for
    its registration: after the upgrade the registration takes it over as before."""
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        if int(migration.name[:4]) < 8:
            shutil.copy(migration, tmp_path / migration.name)
    waiting, done, agent_id = uuid4(), uuid4(), uuid4()
    await ensure_database(desk_settings, "sla")
    pool = await create_pool(desk_settings, "sla")
    try:
        async with pool.acquire() as conn:
            await migrate(conn, [("runtime", RUNTIME_MIGRATIONS), ("sla", tmp_path)])
            await conn.execute(
                "INSERT INTO early_assignments (incident_id, assignee_id, assigned_at, registered) "
                "VALUES ($1, $2, now(), false), ($3, $2, now(), true)",
                waiting,
                agent_id,
                done,
            )
    finally:
        await pool.close()

    service = build(desk_settings)
    await service.start()
    try:
        assert await parked(service, waiting, 1)
        assert await service.pool.fetchval("SELECT count(*) FROM parked_messages") == 1
        await send(desk_settings, registration(waiting, utc_now()))
        row = await clock_when(service, waiting, lambda r: r["status"] == "assigned")
        assert row["assignee_id"] == agent_id
        await nothing_left_over(service)
    finally:
        await service.stop()
