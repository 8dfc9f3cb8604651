"""A service whose database or broker does not answer retries, then exits clearly."""

from __future__ import annotations

import sys

import pytest
from desk_runtime.db import drop_database
from desk_runtime.retry import DependencyUnavailable
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import environment_for, free_port

pytestmark = pytest.mark.integration


async def test_unreachable_database_gives_up_after_the_budget(desk_settings: DeskSettings) -> None:
    settings = desk_settings.replaced(
        **{
            "postgres_url": f"postgresql://postgres@127.0.0.1:{free_port()}",
            "connect_timeout_seconds": 0.5,
        }
    )
    # A service with no handlers: only the start-up path is under test.
    service = Service("probe", settings=settings)
    with pytest.raises(DependencyUnavailable, match="PostgreSQL is not reachable"):
        await service.start()


async def test_unreachable_broker_gives_up_after_the_budget(desk_settings: DeskSettings) -> None:
    settings = desk_settings.replaced(
        **{
            "amqp_url": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
            "connect_timeout_seconds": 0.5,
        }
    )
    service = Service("probe", settings=settings)
    try:
        with pytest.raises(DependencyUnavailable, match="RabbitMQ is not reachable"):
            await service.start()
        await service.stop()
    finally:
        # The database answered, so the probe made one; the namespace cleanup knows
        # only the five services' databases.
        await drop_database(settings, "probe")


async def test_the_process_logs_why_and_exits_non_zero(desk_settings: DeskSettings) -> None:
    import asyncio

    settings = desk_settings.replaced(
        **{
            "postgres_url": f"postgresql://postgres@127.0.0.1:{free_port()}",
            "connect_timeout_seconds": 0.5,
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from desk_runtime.service import Service; Service('probe').run()",
        env=environment_for(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    text = output.decode()
    assert '"event": "dependency_unreachable"' in text
    assert '"event": "service_failed"' in text
    assert "PostgreSQL is not reachable" in text
