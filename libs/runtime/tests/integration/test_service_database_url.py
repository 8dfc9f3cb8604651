"""A service URL that names its database (a managed server's, e.g. CloudNativePG's
`.../app`): the service uses that database and creates none."""

from __future__ import annotations

import asyncpg
import pytest
from desk_runtime.db import create_pool, ensure_database
from desk_runtime.settings import DeskSettings, with_database

pytestmark = pytest.mark.integration


async def _databases(settings: DeskSettings) -> set[str]:
    conn = await asyncpg.connect(settings.maintenance_url)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{settings.namespace}%"
        )
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


async def test_the_named_database_is_used_and_none_is_created(
    desk_settings: DeskSettings,
) -> None:
    given = f"{desk_settings.namespace}_given"
    admin = await asyncpg.connect(desk_settings.maintenance_url)
    await admin.execute(f'CREATE DATABASE "{given}"')
    try:
        settings = desk_settings.replaced(
            **{"postgres_urls": {"intake": with_database(desk_settings.postgres_url, given)}}
        )
        await ensure_database(settings, "intake")
        pool = await create_pool(settings, "intake", min_size=1, max_size=1)
        try:
            assert await pool.fetchval("SELECT current_database()") == given
        finally:
            await pool.close()
        assert await _databases(settings) == {given}

        missing = desk_settings.replaced(
            **{"postgres_urls": {"intake": f"{desk_settings.postgres_url}/{given}_not"}}
        )
        await ensure_database(missing, "intake")
        with pytest.raises(asyncpg.InvalidCatalogNameError):
            await create_pool(missing, "intake", min_size=1, max_size=1)
        assert await _databases(settings) == {given}
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{given}" WITH (FORCE)')
        await admin.close()
