"""The suite's broker probe tells a broker that answers AMQP from one that only accepts
connections (as a broker out of file handles does)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import broker_answers

pytestmark = pytest.mark.integration


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A socket that completes TCP connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_the_running_broker_answers(desk_settings: DeskSettings) -> None:
    assert broker_answers(desk_settings.amqp_url)


def test_a_listener_that_never_speaks_is_not_a_broker(silent_listener: int) -> None:
    assert not broker_answers(f"amqp://guest:guest@127.0.0.1:{silent_listener}/", timeout=0.5)


def test_a_closed_port_is_not_a_broker() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert not broker_answers(f"amqp://guest:guest@127.0.0.1:{closed}/", timeout=0.5)
