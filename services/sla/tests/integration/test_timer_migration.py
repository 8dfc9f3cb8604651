"""A deployment from before the timers moved to the runtime keeps every timer: migrating
moves sla's rows into the runtime's table as they were, and the armed ones still fire."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from desk_contracts import utc_now
from desk_runtime.db import create_pool, ensure_database
from desk_runtime.migrations import RUNTIME_MIGRATIONS, migrate
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import wait_until
from desk_runtime.timers import timers_of
from sla.app import MIGRATIONS, build

pytestmark = pytest.mark.integration

# The migrations that introduced the runtime's table and moved sla's rows into it.
MOVE = {"runtime": "0004_durable_timers.sql", "sla": "0007_timers_in_runtime.sql"}


def before_the_move(tmp_path: Path) -> list[tuple[str, Path]]:
    """Each track as it stood before the move (the files up to the one that moved it)."""
    tracks = []
    for track, folder in (("runtime", RUNTIME_MIGRATIONS), ("sla", MIGRATIONS)):
        old = tmp_path / track
        old.mkdir()
        for path in sorted(folder.glob("*.sql")):
            if path.name >= MOVE[track]:
                break
            shutil.copy(path, old / path.name)
        tracks.append((track, old))
    return tracks


async def test_armed_and_fired_timers_survive_the_move(
    desk_settings: DeskSettings, tmp_path: Path
) -> None:
    await ensure_database(desk_settings, "sla")
    pool = await create_pool(desk_settings, "sla")
    incident, other = uuid4(), uuid4()
    now = utc_now().replace(microsecond=0)
    old_rows = [
        # incident, kind, due, state, detail, fired
        (incident, "response_breach", now - timedelta(hours=1), "fired",
         {"event": "breach", "clock": "response"}, now - timedelta(minutes=59)),
        (incident, "resolution_reminder", now - timedelta(seconds=1), "armed",
         {"event": "reminder", "clock": "resolution", "due": now.isoformat()}, None),
        (incident, "escalation:1:group_head", now + timedelta(hours=1), "armed",
         {"event": "escalation", "level": 1, "notify": "group_head", "reassign": True}, None),
        (other, "next_reply_breach:20260309T101500.000000Z", now, "cancelled",
         {"event": "breach", "clock": "next_reply"}, None),
    ]  # fmt: skip
    try:
        async with pool.acquire() as conn:
            await migrate(conn, before_the_move(tmp_path))
            await conn.executemany(
                "INSERT INTO timers (incident_id, kind, due_at, state, detail, fired_at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                old_rows,
            )
            await migrate(conn, [("runtime", RUNTIME_MIGRATIONS), ("sla", MIGRATIONS)])
            assert await conn.fetchval("SELECT to_regclass('timers') IS NULL")
        moved = {
            (t.key, t.kind): (t.due_at, t.state, t.payload, t.fired_at)
            for key in (str(incident), str(other))
            for t in await timers_of(pool, key)
        }
    finally:
        await pool.close()
    assert moved == {
        (str(i), kind): (due, state, detail, fired)
        for i, kind, due, state, detail, fired in old_rows
    }

    # The new sla fires what the old one had armed and is due; the rest waits its turn.
    sla = build(desk_settings)
    await sla.start()
    try:
        await wait_until(
            lambda: sla.pool.fetchval(
                "SELECT state = 'fired' FROM durable_timers WHERE kind = 'resolution_reminder'"
            )
        )
        states = {t.kind: t.state for t in await timers_of(sla.pool, str(incident))}
        assert states == {
            "response_breach": "fired",
            "resolution_reminder": "fired",
            "escalation:1:group_head": "armed",
        }
    finally:
        await sla.stop()
