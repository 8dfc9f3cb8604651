"""PostgreSQL: the service's own database, created if missing, and its connection pool."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from .logging import get_logger
from .retry import with_backoff
from .settings import DeskSettings

log = get_logger(__name__)

Connection = asyncpg.Connection
Pool = asyncpg.Pool


# Services run short queries many at a time: starting parallel workers costs more than
# they save (a 1 ms page query took 16 ms as a Gather Merge), and under load the cores
# are busy with other requests anyway.
SESSION_SETTINGS = {"max_parallel_workers_per_gather": "0"}


class DeskConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection that goes back to the pool without a reset query.

    The services keep no session state on pooled connections: settings are SET LOCAL,
    the one advisory lock (migrations) is released explicitly, and LISTEN connections
    are held for the life of their task. The default reset (unlock all, CLOSE ALL,
    UNLISTEN, RESET ALL) was one more round trip per message handled.
    """

    def get_reset_query(self) -> str:
        return ""


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns in and out as Python objects.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def ensure_database(settings: DeskSettings, service: str) -> None:
    """CREATE DATABASE if missing; two instances starting together both succeed. A
    database named in the service's URL is the server's operator's to create."""
    if settings.database_given(service):
        return
    name = settings.database_name(service)

    async def attempt() -> None:
        conn = await asyncpg.connect(settings.maintenance_url_for(service), timeout=5)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                    log.info("database_created", database=name)
                except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                    pass
        finally:
            await conn.close()

    await with_backoff("PostgreSQL", attempt, timeout=settings.connect_timeout_seconds)


async def create_pool(
    settings: DeskSettings, service: str, *, min_size: int = 2, max_size: int = 10, **kwargs: Any
) -> asyncpg.Pool:
    async def attempt() -> asyncpg.Pool:
        pool = await asyncpg.create_pool(
            settings.database_url(service),
            min_size=min_size,
            max_size=max_size,
            init=_init_connection,
            timeout=5,
            server_settings=SESSION_SETTINGS,
            connection_class=DeskConnection,
            **kwargs,
        )
        assert pool is not None
        return pool

    return await with_backoff("PostgreSQL", attempt, timeout=settings.connect_timeout_seconds)


async def drop_database(settings: DeskSettings, service: str) -> None:
    conn = await asyncpg.connect(settings.maintenance_url_for(service), timeout=5)
    try:
        await conn.execute(
            f'DROP DATABASE IF EXISTS "{settings.database_name(service)}" WITH (FORCE)'
        )
    finally:
        await conn.close()
