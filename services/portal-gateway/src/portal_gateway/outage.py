"""What "not now" looks like: the failures that mean a peer service, the broker or the
database is out of reach for a moment — not a bug — and answer 503 with `Retry-After`,
in the API (errors.py) and on the portal's pages (web/errors.py) alike."""

from __future__ import annotations

import asyncpg
from aio_pika.exceptions import AMQPError
from aiormq.exceptions import ChannelInvalidStateError
from desk_runtime.rpc import ServiceUnavailable

OUTAGES: tuple[type[Exception], ...] = (
    # No answer in time, or the broker is away (the request/reply client says which).
    ServiceUnavailable,
    # The broker connection lost or being restored under a direct use of it (operations).
    AMQPError,
    ChannelInvalidStateError,
    # Refused or lost database connections.
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    ConnectionError,
)

# A few seconds: the broker client reconnects every second, a peer restarts in a few.
RETRY_AFTER = {"Retry-After": "5"}

# The message, a key of the portal's catalogue (web/i18n.py) in every language.
UNAVAILABLE = "A service is not responding; try again shortly."
