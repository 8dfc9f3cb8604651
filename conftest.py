"""Fixtures every test suite shares: real servers, a namespace per test, an SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    drop_namespace,
    infrastructure,
    new_namespace,
    settings_for,
    smtp_server,
)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as servers:
        yield servers


@pytest_asyncio.fixture
async def desk_settings(infra: Infrastructure) -> AsyncIterator[DeskSettings]:
    """Settings of a namespace of this test's own, removed afterwards."""
    settings = settings_for(infra, new_namespace())
    try:
        yield settings
    finally:
        await drop_namespace(settings)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server
