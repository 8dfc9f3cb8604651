"""Retry with exponential backoff for dependencies that may come up after us."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from .logging import get_logger

T = TypeVar("T")
log = get_logger(__name__)


# How often a lost broker connection is tried again (the broker client's interval, for
# the consumers' connection and the publishing one): a broker back after a restart is in
# use again within about this long.
BROKER_RECONNECT_SECONDS = 1.0


class DependencyUnavailable(RuntimeError):
    """A dependency stayed unreachable for the whole start-up budget."""


# A server that is up but full or still starting answers with these: worth waiting for.
TRANSIENT_SERVER_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
)
RETRYABLE: tuple[type[Exception], ...] = (
    TimeoutError,
    OSError,
    ConnectionError,
    *TRANSIENT_SERVER_ERRORS,
)


async def with_backoff(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    timeout: float,
    first_delay: float = 0.2,
    max_delay: float = 5.0,
) -> T:
    deadline = time.monotonic() + timeout
    delay = first_delay
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except RETRYABLE as error:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DependencyUnavailable(
                    f"{what} is not reachable after {tries} attempts in {timeout:.0f} s: {error}"
                ) from error
            log.warning(
                "dependency_unreachable",
                dependency=what,
                attempt=tries,
                error=str(error),
                retry_in=round(min(delay, remaining), 2),
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(max_delay, delay * 2) * random.uniform(0.8, 1.2)
