"""Sends queued deliveries: claims due rows, sends them concurrently, records every
attempt and the provider's answer, and schedules retries with exponential backoff and
jitter in the table itself, so a failing message never holds up the others.

A claim is a lease: the row is `sending` until `next_attempt_at`. The sender renews
the leases of its sends under way every few seconds and cuts a send short before the
lease it last secured runs out, so a claim is never sent by two live senders at once,
and a sender that dies leaves its claims to be taken again within one short lease. A
sender that stops cleanly hands its claims back at once. Each send the server accepts
is recorded at once (`accepted.py`). After the last attempt (or a permanent refusal)
the delivery is `failed` and parked in `dead_letters` for operators.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from desk_runtime.db import create_pool
from desk_runtime.logging import get_logger, log_context
from desk_runtime.service import Service

from .accepted import Accepted, AcceptedSends
from .backoff import is_last, retry_delay
from .email import DeliveryFailed, SmtpSessions, send_email
from .metrics import NOTIFY_DELIVERIES, NOTIFY_DELIVERY_SECONDS
from .sms import send_sms

log = get_logger(__name__)

# A claim is the sender's for this long unless renewed; its sends under way are renewed
# every RENEW_SECONDS, so a dead sender's claims are free again within LEASE.
LEASE = timedelta(seconds=15)
RENEW_SECONDS = 5.0
# A send still under way this long before the lease its sender last secured runs out is
# cut short: a sender that cannot renew (the database away) never sends a row that
# another sender may have claimed meanwhile.
LEASE_MARGIN_SECONDS = 2.0
CONCURRENCY = 8
IDLE_WAIT_SECONDS = 5.0
# After a wake-up the sender rests this long before it looks: the wake-ups of a burst
# (new deliveries, finished sends) then share one look.
GATHER_SECONDS = 0.01
# The earliest due time of rows nobody announces (retries, other senders' leases) is
# read at most this often; a retry this sender schedules updates it at once.
NEXT_DUE_REFRESH_SECONDS = 1.0
# The LISTEN connection, the one for records of accepted sends, and two for the claims,
# renewals and failures.
SENDER_CONNECTIONS = 4
# How long a stopping sender waits for the sends under way.
STOP_GRACE_SECONDS = 10.0


async def claim_due(conn: asyncpg.Connection, token: UUID, limit: int) -> list[asyncpg.Record]:
    """Claims due rows under a lease; a claimed delivery gathers no more changes (what it
    carries is what goes out, every time it is sent)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
            next_attempt_at = now() + $2::interval, lease_token = $3, gathering_until = NULL
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
        # The sends under way, each under a deadline its lease renewals move on.
        self._leases: dict[UUID, asyncio.Timeout] = {}
        self._next_due = 0.0  # monotonic time of the earliest unannounced due row
        self._next_due_read = -NEXT_DUE_REFRESH_SECONDS
        self._http = httpx.AsyncClient()
        self._smtp = SmtpSessions(self.settings, keep=CONCURRENCY)

    def use_pool(self, pool: asyncpg.Pool) -> None:
        """The pool to claim, renew and record on (`run` makes one of its own)."""
        self.pool = pool
        self.accepted = AcceptedSends(pool)

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        # A pool of its own: a burst of incoming events holds the service's connections,
        # and sending must not wait for them.
        pool = await create_pool(
            self.settings, self.service.name, min_size=1, max_size=SENDER_CONNECTIONS
        )
        self.use_pool(pool)
        listener = await pool.acquire()
        await listener.add_listener("deliveries", self.wake)
        await self.accepted.open()
        self._renewals = asyncio.create_task(self._renew_leases())
        try:
            while True:
                self._wake.clear()
                free = CONCURRENCY - len(self._in_flight)
                rows = []
                if free > 0:
                    deadline = self._lease_deadline()
                    async with pool.acquire() as conn:
                        rows = await claim_due(conn, self.token, free)
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row, deadline))
                        self._in_flight.add(task)
                        task.add_done_callback(self._finished)
                if free > 0 and len(rows) == free:
                    continue  # more may be due now
                wait = IDLE_WAIT_SECONDS
                if free > len(rows):
                    wait = min(wait, await self._until_next_due())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                await asyncio.sleep(GATHER_SECONDS)
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

    async def _until_next_due(self) -> float:
        """Seconds until the earliest row nobody will announce is due (a retry, a lease
        that runs out): new deliveries wake the sender themselves."""
        now = time.monotonic()
        if now - self._next_due_read >= NEXT_DUE_REFRESH_SECONDS:
            self._next_due_read = now
            next_due = await self.pool.fetchval(
                "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM deliveries "
                "WHERE status IN ('pending', 'sending')"
            )
            self._next_due = now + (float(next_due) if next_due is not None else IDLE_WAIT_SECONDS)
        return max(0.0, self._next_due - now)

    @staticmethod
    def _lease_deadline() -> float:
        """When a send under a lease secured from now on must be over (loop time): the
        database counts the lease from a moment after this one."""
        return asyncio.get_running_loop().time() + LEASE.total_seconds() - LEASE_MARGIN_SECONDS

    async def _renew_leases(self) -> None:
        """Every RENEW_SECONDS, extend the leases of the sends under way; a send whose
        row is no longer this sender's claim is cut short at once."""
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            if not self._leases:
                continue
            ids = list(self._leases)
            deadline = self._lease_deadline()
            try:
                kept = await self.pool.fetch(
                    "UPDATE deliveries SET next_attempt_at = now() + $3::interval "
                    "WHERE id = ANY($1::uuid[]) AND lease_token = $2 AND status = 'sending' "
                    "RETURNING id",
                    ids,
                    self.token,
                    LEASE,
                    timeout=RENEW_SECONDS,
                )
            except Exception as error:  # the sends keep their deadlines and are cut then
                log.warning("delivery_leases_not_renewed", count=len(ids), error=repr(error))
                continue
            ours = {row["id"] for row in kept}
            now = asyncio.get_running_loop().time()
            for delivery_id in ids:
                lease = self._leases.get(delivery_id)
                if lease is not None and not lease.expired():
                    lease.reschedule(deadline if delivery_id in ours else now)

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
        self._renewals.cancel()  # renewed while the sends under way had their grace
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._renewals
        # Recorded first: a send the server accepted must not be handed back as pending
        # (one whose record cannot be written stays claimed until its lease runs out).
        await self.accepted.close(STOP_GRACE_SECONDS)
        with contextlib.suppress(Exception):
            returned = await self.pool.execute(
                "UPDATE deliveries SET status = 'pending', attempts = greatest(attempts - 1, 0), "
                "next_attempt_at = now(), lease_token = NULL "
                "WHERE lease_token = $1 AND status = 'sending' AND NOT id = ANY($2::uuid[])",
                self.token,
                self.accepted.unwritten(),
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
            incident_id=row["incident_id"],
        )

    async def _send_within_lease(self, row: asyncpg.Record, deadline: float) -> str:
        """The send, cut short when the lease runs out before it is over."""
        delivery_id = row["id"]
        lease = asyncio.timeout_at(deadline)
        try:
            async with lease:
                self._leases[delivery_id] = lease
                try:
                    return await self._send(row)
                finally:
                    del self._leases[delivery_id]
        except TimeoutError as error:
            if not lease.expired():
                raise
            raise DeliveryFailed("cut short: the claim ran out before the send was over") from error

    async def _deliver(self, row: asyncpg.Record, deadline: float) -> None:
        attempt = row["attempts"]
        with log_context(
            incident_id=row["incident_id"], delivery_id=row["id"], channel=row["channel"]
        ):
            started = time.perf_counter()
            try:
                answer = await self._send_within_lease(row, deadline)
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
            # Recorded at once: until it is, a crash would send it again.
            recorded = self.accepted.add(
                Accepted(row["id"], attempt, str(answer), datetime.now(UTC))
            )
            await asyncio.shield(recorded)
            NOTIFY_DELIVERIES.labels(row["channel"], "sent").inc()
            log.info("delivery_sent", attempt=attempt, event_kind=row["event_kind"])

    async def _record_failure(self, row: asyncpg.Record, error: DeliveryFailed) -> None:
        attempt = row["attempts"]
        final = error.permanent or is_last(attempt, self.settings.notify.max_attempts)
        delay = retry_delay(attempt, self.settings.notify.retry_base_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            # Only while the claim is still ours: had the lease run out and another
            # sender delivered it meanwhile, `pending` here would send it once more.
            ours = await conn.fetchval(
                """
                UPDATE deliveries SET status = $2, last_error = $3, lease_token = NULL,
                    next_attempt_at = now() + $4::interval,
                    failed_at = CASE WHEN $5 THEN now() END
                WHERE id = $1 AND lease_token = $6 AND status = 'sending'
                RETURNING true
                """,
                row["id"],
                "failed" if final else "pending",
                error.answer,
                delay,
                final,
                self.token,
            )
            await _log_attempt(conn, row["id"], attempt, "failed", error.answer)
            if not ours:
                log.warning("delivery_claim_lost", attempt=attempt, error=error.answer)
                return
            if final:
                reason = "refused permanently" if error.permanent else f"{attempt} attempts failed"
                await conn.execute(
                    "INSERT INTO dead_letters (delivery_id, reason, attempts) VALUES ($1, $2, $3)",
                    row["id"],
                    f"{reason}: {error.answer}",
                    attempt,
                )
        if not final:
            self._next_due = min(self._next_due, time.monotonic() + delay.total_seconds())
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
