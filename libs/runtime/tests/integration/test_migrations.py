"""Migrations against the real PostgreSQL: once each, safe when instances start together."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from desk_runtime.db import ensure_database
from desk_runtime.migrations import MigrationError, migrate
from desk_runtime.settings import DeskSettings

pytestmark = pytest.mark.integration


async def test_two_instances_starting_together_apply_each_file_once(
    desk_settings: DeskSettings, tmp_path: Path
) -> None:
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);")
    (tmp_path / "0002_more.sql").write_text("INSERT INTO things VALUES (1);")
    await ensure_database(desk_settings, "intake")
    url = desk_settings.database_url("intake")
    first, second = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        applied = await asyncio.gather(
            migrate(first, [("demo", tmp_path)]), migrate(second, [("demo", tmp_path)])
        )
        assert sorted(applied) == [0, 2]
        assert await first.fetchval("SELECT count(*) FROM things") == 1
        assert await migrate(first, [("demo", tmp_path)]) == 0
    finally:
        await first.close()
        await second.close()


async def test_an_applied_file_that_changed_is_refused(
    desk_settings: DeskSettings, tmp_path: Path
) -> None:
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id int);")
    await ensure_database(desk_settings, "intake")
    conn = await asyncpg.connect(desk_settings.database_url("intake"))
    try:
        await migrate(conn, [("demo", tmp_path)])
        (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, [("demo", tmp_path)])
    finally:
        await conn.close()
