"""`desk-ops drop-namespace` removes one desk's databases, queues and exchanges, and only
that desk's."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

import aio_pika
import asyncpg
import pytest
from desk_contracts.topology import SERVICES, all_queues
from desk_runtime.db import ensure_database
from desk_runtime.ops_cli import run_drop_namespace
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import new_namespace
from desk_runtime.topology import declare_topology

pytestmark = pytest.mark.integration


async def _databases(settings: DeskSettings) -> set[str]:
    conn = await asyncpg.connect(settings.maintenance_url)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database")
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


async def _queue_exists(settings: DeskSettings, name: str) -> bool:
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True
    finally:
        await connection.close()


async def _desk(settings: DeskSettings) -> None:
    for service in SERVICES:
        await ensure_database(settings, service)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        await declare_topology(await connection.channel(), settings.namespace)
    finally:
        await connection.close()


def _drop(namespace: str, *, yes: bool) -> tuple[int, str]:
    """The command runs its own event loop, as it does from a terminal."""
    out = io.StringIO()
    code = run_drop_namespace(SimpleNamespace(namespace=namespace, yes=yes), out)
    return code, out.getvalue()


async def test_dropping_a_namespace_leaves_the_others(desk_settings: DeskSettings) -> None:
    doomed = desk_settings.replaced(**{"namespace": new_namespace("drop")})
    await _desk(doomed)
    await _desk(desk_settings)
    queue = next(iter(all_queues(doomed.namespace))).name
    kept = next(iter(all_queues(desk_settings.namespace))).name

    code, said = await asyncio.to_thread(_drop, doomed.namespace, yes=False)
    assert code == 1
    assert "--yes" in said
    assert doomed.database_name("intake") in await _databases(doomed)

    code, said = await asyncio.to_thread(_drop, doomed.namespace, yes=True)
    assert code == 0
    assert doomed.namespace in said
    names = await _databases(doomed)
    assert not {doomed.database_name(s) for s in SERVICES} & names
    assert {desk_settings.database_name(s) for s in SERVICES} <= names
    assert not await _queue_exists(doomed, queue)
    assert await _queue_exists(desk_settings, kept)


def test_a_malformed_namespace_is_refused_before_anything_is_touched() -> None:
    code, _ = _drop("Robert'); DROP", yes=True)
    assert code == 2
