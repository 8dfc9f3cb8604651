"""Sends queued deliveries: claims due rows, sends them concurrently, records every
attempt and the provider's answer, and schedules retries with exponential backoff and
jitter in the table itself, so a failing message never holds up the others.

A claim is a lease: the row is `sending` until `next_attempt_at`; a sender that dies
mid-send leaves it to be claimed again when the lease runs out, and a sender that stops
cleanly hands its claims back at once. After the last attempt (or a permanent refusal)
the delivery is `failed` and parked in `dead_letters` for operators.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from desk_runtime.db import create_pool
from desk_runtime.logging import get_logger, log_context
from desk_runtime.metrics import NOTIFY_DELIVERIES, NOTIFY_DELIVERY_SECONDS
from desk_runtime.service import Service

from .backoff import is_last, retry_delay
from .email import DeliveryFailed, SmtpSessions, send_email
from .sms import send_sms

log = get_logger(__name__)

# Longer than any send may take (SMTP and HTTP time out at 15 s).
LEASE = timedelta(seconds=60)
CONCURRENCY = 8
IDLE_WAIT_SECONDS = 5.0
# The LISTEN connection, the claims and the records of finished sends.
SENDER_CONNECTIONS = 3
# How long a stopping sender waits for the sends under way.
STOP_GRACE_SECONDS = 10.0


async def claim_due(conn: asyncpg.Connection, token: UUID, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
            next_attempt_at = now() + $2::interval, lease_token = $3
        WHERE id IN (
            SELECT id FROM deliveries
            WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        limit,
        LEASE,
        token,
    )
    return rows


class Sender:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self.token = uuid4()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        # A pool of its own: a burst of incoming events holds the service's connections,
        # and sending must not wait for them.
        pool = self.pool = await create_pool(
            self.settings, self.service.name, min_size=1, max_size=SENDER_CONNECTIONS
        )
        listener = await pool.acquire()
        await listener.add_listener("deliveries", self.wake)
        self._http = httpx.AsyncClient()
        self._smtp = SmtpSessions(self.settings, keep=CONCURRENCY)
        try:
            while True:
                self._wake.clear()
                free = CONCURRENCY - len(self._in_flight)
                rows = []
                if free > 0:
                    async with pool.acquire() as conn:
                        rows = await claim_due(conn, self.token, free)
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row))
                        self._in_flight.add(task)
                        task.add_done_callback(self._finished)
                if rows:
                    continue
                wait = IDLE_WAIT_SECONDS
                if free > 0:
                    next_due = await pool.fetchval(
                        "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM deliveries "
                        "WHERE status IN ('pending', 'sending')"
                    )
                    if next_due is not None:
                        wait = max(0.0, min(wait, float(next_due)))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            await self._hand_back()
            with contextlib.suppress(Exception):
                await listener.remove_listener("deliveries", self.wake)
            await pool.release(listener)
            await self._http.aclose()
            await self._smtp.close()
            await pool.close()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    async def _hand_back(self) -> None:
        """Let sends under way finish (a send cut short after the server accepted it would
        go out twice), then return unfinished claims so another sender takes them now."""
        if self._in_flight:
            _, unfinished = await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE_SECONDS)
            for task in unfinished:
                task.cancel()
            for task in unfinished:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        with contextlib.suppress(Exception):
            returned = await self.pool.execute(
                "UPDATE deliveries SET status = 'pending', attempts = greatest(attempts - 1, 0), "
                "next_attempt_at = now(), lease_token = NULL "
                "WHERE lease_token = $1 AND status = 'sending'",
                self.token,
            )
            log.info("deliveries_handed_back", result=returned)

    async def _send(self, row: asyncpg.Record) -> str:
        key = str(row["id"])
        if row["channel"] == "sms":
            return await send_sms(
                self.settings, self._http, to=row["address"], text=row["body_text"], message_key=key
            )
        return await send_email(
            self.settings,
            self._smtp,
            to=row["address"],
            subject=row["subject"],
            text=row["body_text"],
            html=row["body_html"],
            message_key=key,
        )

    async def _deliver(self, row: asyncpg.Record) -> None:
        attempt = row["attempts"]
        with log_context(
            incident_id=row["incident_id"], delivery_id=row["id"], channel=row["channel"]
        ):
            started = time.perf_counter()
            try:
                answer = await self._send(row)
            except DeliveryFailed as error:
                await self._record_failure(row, error)
                return
            except Exception as error:  # a bug must not kill the sender: count it as failed
                log.exception("delivery_crashed", error=repr(error))
                await self._record_failure(row, DeliveryFailed(repr(error)))
                return
            finally:
                NOTIFY_DELIVERY_SECONDS.labels(row["channel"]).observe(
                    time.perf_counter() - started
                )
            # One statement, so one round trip, and atomic without a transaction of its own.
            await self.pool.execute(
                """
                WITH sent AS (
                    UPDATE deliveries SET status = 'sent', sent_at = now(), last_error = NULL,
                        lease_token = NULL
                    WHERE id = $1 RETURNING id
                )
                INSERT INTO delivery_attempts (delivery_id, attempt, outcome, answer)
                SELECT id, $2, 'sent', $3 FROM sent
                """,
                row["id"],
                attempt,
                str(answer)[:2000],
            )
            NOTIFY_DELIVERIES.labels(row["channel"], "sent").inc()
            log.info("delivery_sent", attempt=attempt, event_kind=row["event_kind"])

    async def _record_failure(self, row: asyncpg.Record, error: DeliveryFailed) -> None:
        attempt = row["attempts"]
        final = error.permanent or is_last(attempt, self.settings.notify_max_attempts)
        delay = retry_delay(attempt, self.settings.notify_retry_base_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                UPDATE deliveries SET status = $2, last_error = $3, lease_token = NULL,
                    next_attempt_at = now() + $4::interval,
                    failed_at = CASE WHEN $5 THEN now() END
                WHERE id = $1
                """,
                row["id"],
                "failed" if final else "pending",
                error.answer,
                delay,
                final,
            )
            await _log_attempt(conn, row["id"], attempt, "failed", error.answer)
            if final:
                reason = "refused permanently" if error.permanent else f"{attempt} attempts failed"
                await conn.execute(
                    "INSERT INTO dead_letters (delivery_id, reason, attempts) VALUES ($1, $2, $3)",
                    row["id"],
                    f"{reason}: {error.answer}",
                    attempt,
                )
        NOTIFY_DELIVERIES.labels(row["channel"], "failed" if final else "retry").inc()
        log.warning(
            "delivery_failed",
            attempt=attempt,
            final=final,
            permanent=error.permanent,
            error=error.answer,
            retry_in=None if final else delay.total_seconds(),
        )


async def _log_attempt(
    conn: asyncpg.Connection, delivery_id: UUID, attempt: int, outcome: str, answer: Any
) -> None:
    await conn.execute(
        "INSERT INTO delivery_attempts (delivery_id, attempt, outcome, answer) "
        "VALUES ($1, $2, $3, $4)",
        delivery_id,
        attempt,
        outcome,
        str(answer)[:2000],
    )


async def run_sender(service: Service) -> None:
    await Sender(service).run()
