"""Fixtures every test suite shares: real servers, a namespace per test, an SMTP server."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Generator, Iterator

import pytest
import pytest_asyncio
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import (
    Infrastructure,
    Mailbox,
    broker_answers,
    drop_namespace,
    infrastructure,
    new_namespace,
    settings_for,
    smtp_server,
)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as servers:
        if not broker_answers(servers.amqp_url):
            pytest.exit(
                f"RabbitMQ at {servers.amqp_url} accepts connections but does not answer AMQP "
                "(out of file handles or sockets? see `rabbitmqctl status`)",
                returncode=3,
            )
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """After a failure of a test on the real servers, end the run at once if the broker
    has stopped answering: the rest would only wait for their timeouts, one by one, and
    the fixtures' own clean-up would wait on the silent broker with no timeout at all."""
    report = yield
    if report.failed and "infra" in getattr(item, "fixturenames", ()):
        amqp_url = DeskSettings().amqp_url
        if not broker_answers(amqp_url):
            sys.stdout.flush()
            sys.stderr.write(
                f"\n{item.nodeid} failed and RabbitMQ at {amqp_url} no longer answers AMQP "
                "(out of file handles or sockets? see `rabbitmqctl status`): the run ends "
                "here, since every test and clean-up after it would only wait on the broker\n"
            )
            sys.stderr.flush()
            os._exit(3)
    return report
