"""Sends queued deliveries: claims due rows, sends, records the answer, and retries
with exponential backoff and jitter without holding up other messages."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta

import asyncpg
from desk_runtime.logging import get_logger, log_context
from desk_runtime.service import Service

from .email import DeliveryFailed, send_email

log = get_logger(__name__)

MAX_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=2)
# A claimed delivery whose sender died is taken again after this lease.
LEASE = timedelta(seconds=60)


def backoff(attempts: int) -> timedelta:
    return BASE_DELAY * (2 ** (attempts - 1)) * random.uniform(0.8, 1.2)


async def claim_due(conn: asyncpg.Connection, limit: int = 20) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
            next_attempt_at = now() + $2::interval
        WHERE id IN (
            SELECT id FROM deliveries
            WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        limit,
        LEASE,
    )
    return rows


async def deliver(service: Service, row: asyncpg.Record) -> None:
    with log_context(incident_id=row["incident_id"], delivery_id=row["id"], channel=row["channel"]):
        try:
            answer = await send_email(
                service.settings,
                to=row["address"],
                subject=row["subject"],
                text=row["body_text"],
                html=row["body_html"],
                message_key=str(row["id"]),
            )
        except DeliveryFailed as error:
            final = row["attempts"] >= MAX_ATTEMPTS
            async with service.pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "UPDATE deliveries SET status = $2, last_error = $3, "
                    "next_attempt_at = now() + $4::interval WHERE id = $1",
                    row["id"],
                    "failed" if final else "pending",
                    str(error),
                    backoff(row["attempts"]),
                )
                await conn.execute(
                    "INSERT INTO delivery_attempts (delivery_id, outcome, answer) "
                    "VALUES ($1, $2, $3)",
                    row["id"],
                    "failed",
                    str(error),
                )
            log.warning("delivery_failed", attempt=row["attempts"], final=final, error=str(error))
            return
        async with service.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE deliveries SET status = 'sent', sent_at = now(), last_error = NULL "
                "WHERE id = $1",
                row["id"],
            )
            await conn.execute(
                "INSERT INTO delivery_attempts (delivery_id, outcome, answer) VALUES ($1, $2, $3)",
                row["id"],
                "sent",
                answer,
            )
        log.info("delivery_sent", attempt=row["attempts"], event_kind=row["event_kind"])


async def run_sender(service: Service) -> None:
    wake = asyncio.Event()

    def on_insert(*_: object) -> None:
        wake.set()

    listener = await service.pool.acquire()
    await listener.add_listener("deliveries", on_insert)
    try:
        while True:
            async with service.pool.acquire() as conn:
                rows = await claim_due(conn)
            if rows:
                await asyncio.gather(*(deliver(service, row) for row in rows))
                continue
            next_due = await service.pool.fetchval(
                "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM deliveries "
                "WHERE status IN ('pending', 'sending')"
            )
            wait = 5.0 if next_due is None else max(0.0, min(5.0, float(next_due)))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)
    finally:
        with contextlib.suppress(Exception):
            await listener.remove_listener("deliveries", on_insert)
        await service.pool.release(listener)
