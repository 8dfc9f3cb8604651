"""The record of sends the server accepted, written the moment each is accepted.

Between the server's 250 and this record a crash resends the mail (same Message-ID),
so the record is never left for later: the first accepted send is written at once, on a
connection kept for these records alone (never waiting for one), and those accepted
while it is being written go together in the next statement (one commit for a burst
instead of one each). A record that cannot be written is tried again until it is;
meanwhile its delivery is not handed back as pending.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from desk_runtime.logging import get_logger

log = get_logger(__name__)

RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class Accepted:
    delivery_id: UUID
    attempt: int
    answer: str
    sent_at: datetime


async def record_accepted(conn: asyncpg.Connection, sends: list[Accepted]) -> None:
    """Mark the deliveries sent and log the attempts, in one statement (atomic without
    a transaction of its own). Whoever holds the claim now: the mail went out. Written
    again after a connection died with the answer on its way, it logs nothing twice."""
    await conn.execute(
        """
        WITH sent AS (
            UPDATE deliveries d SET status = 'sent', sent_at = s.sent_at,
                last_error = NULL, lease_token = NULL
            FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[])
                AS s(id, attempt, answer, sent_at)
            WHERE d.id = s.id
            RETURNING d.id, s.attempt, s.answer
        )
        INSERT INTO delivery_attempts (delivery_id, attempt, outcome, answer)
        SELECT id, attempt, 'sent', answer FROM sent
        WHERE NOT EXISTS (
            SELECT 1 FROM delivery_attempts a
            WHERE a.delivery_id = sent.id AND a.attempt = sent.attempt AND a.outcome = 'sent')
        """,
        [send.delivery_id for send in sends],
        [send.attempt for send in sends],
        [send.answer[:2000] for send in sends],
        [send.sent_at for send in sends],
    )


class AcceptedSends:
    """A writer of its own for accepted sends: `add` starts writing at once, if no
    write is under way, and returns what to wait on for this send's record."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._conn: asyncpg.Connection | None = None
        self._queued: list[tuple[Accepted, asyncio.Future[None]]] = []
        self._writing: list[tuple[Accepted, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Take the connection for the records now, not at the first accepted send."""
        if self._conn is None:
            self._conn = await self.pool.acquire()

    def add(self, send: Accepted) -> asyncio.Future[None]:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((send, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return written

    def unwritten(self) -> list[UUID]:
        return [send.delivery_id for send, _ in self._writing + self._queued]

    async def _write(self) -> None:
        while self._queued:
            self._writing, self._queued = self._queued, []
            try:
                await self.open()
                assert self._conn is not None
                await record_accepted(self._conn, [send for send, _ in self._writing])
            except Exception as error:
                log.warning(
                    "accepted_sends_not_recorded", count=len(self._writing), error=repr(error)
                )
                self._queued[:0] = self._writing
                self._writing = []
                await self._release()  # the next try on a new connection
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for _, written in self._writing:
                if not written.done():
                    written.set_result(None)
            self._writing = []

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await self.pool.release(conn)

    async def close(self, timeout: float) -> None:
        """Let the records under way and queued be written (up to `timeout`), then give
        the connection back."""
        writer = self._writer
        if writer is not None and not writer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), timeout)
            if not writer.done():
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
        await self._release()
