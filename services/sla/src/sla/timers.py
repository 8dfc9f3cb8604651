"""Durable timers: armed in sla's database, fired through the outbox exactly once.

The scheduler sleeps until the earliest armed timer (at most `max_sleep`), and a
NOTIFY on `sla_timers` wakes it early when a timer is armed that is due before it would
wake. Due timers are claimed with FOR UPDATE SKIP LOCKED and marked fired in the same
transaction that writes their events to the outbox: several instances share the work, a
crash before the commit leaves the timer armed for the next claim, and a committed timer
is never claimed again. Timers that fell due while no instance ran fire at the first loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts import Event
from desk_contracts.messages import SlaBreached, SlaEscalated, SlaReminderDue
from desk_runtime.logging import get_logger
from desk_runtime.metrics import SLA_TIMER_LATENESS, SLA_TIMERS_FIRED
from desk_runtime.outbox import envelope_for, write_outbox

log = get_logger(__name__)

CHANNEL = "sla_timers"


@dataclass(frozen=True)
class TimerSpec:
    """A timer to arm: its kind (unique per incident), due instant and what it says."""

    kind: str
    due_at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)


def reminder(clock: str, at: datetime, clock_due: datetime) -> TimerSpec:
    return TimerSpec(
        f"{clock}_reminder", at, {"event": "reminder", "clock": clock, "due": clock_due.isoformat()}
    )


def breach(clock: str, due: datetime) -> TimerSpec:
    return TimerSpec(f"{clock}_breach", due, {"event": "breach", "clock": clock})


def next_reply_breach(waiting_since: datetime, due: datetime) -> TimerSpec:
    """One per next-reply clock (a fired timer never fires again, and an incident has
    many next replies): the kind names the client entry that started the clock."""
    started = waiting_since.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return TimerSpec(
        f"next_reply_breach:{started}", due, {"event": "breach", "clock": "next_reply"}
    )


def escalation(kind: str, due: datetime, level: int, notify: str, reassign: bool) -> TimerSpec:
    return TimerSpec(
        kind,
        due,
        {"event": "escalation", "level": level, "notify": notify, "reassign": reassign},
    )


async def sync_timers(
    conn: asyncpg.Connection,
    incident_id: UUID,
    wanted: Iterable[TimerSpec],
    rearm: Iterable[str] = (),
) -> None:
    """Make the incident's armed timers exactly `wanted`: cancel the others, move or arm
    these. A timer that already fired stays fired (each fires once), unless its kind is
    in `rearm`: a breach withdrawn because a late fact moved its due time."""
    await arm(
        conn, [(incident_id, spec) for spec in wanted], cancel_others_of=incident_id, rearm=rearm
    )


async def arm(
    conn: asyncpg.Connection,
    timers: list[tuple[UUID, TimerSpec]],
    cancel_others_of: UUID | None = None,
    rearm: Iterable[str] = (),
) -> None:
    """Arm (or move) many timers in one statement, which also cancels the armed timers of
    `cancel_others_of` whose kind is not among them and wakes the schedulers if one is
    due earlier than they planned to look (the notification is delivered at commit).
    The cancelled and the armed rows differ by kind, so no row is changed twice. Fired
    timers of the kinds in `rearm` are armed again at their new due time."""
    if not timers and cancel_others_of is None:
        return
    await conn.execute(
        """
        WITH cancelled AS (
            UPDATE timers SET state = 'cancelled'
            WHERE incident_id = $5 AND state = 'armed' AND NOT (kind = ANY($2::text[]))
        ), armed AS (
            INSERT INTO timers (incident_id, kind, due_at, detail)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::jsonb[])
            ON CONFLICT (incident_id, kind) DO UPDATE
                SET due_at = EXCLUDED.due_at, detail = EXCLUDED.detail, state = 'armed',
                    armed_at = clock_timestamp(), fired_at = NULL
                WHERE (timers.state <> 'fired' OR timers.kind = ANY($7::text[]))
                  AND (timers.state <> 'armed' OR timers.due_at <> EXCLUDED.due_at
                       OR timers.detail <> EXCLUDED.detail)
            RETURNING due_at
        )
        SELECT pg_notify($6, extract(epoch FROM min(due_at))::text)
        FROM armed HAVING count(*) > 0
        """,
        [incident_id for incident_id, _ in timers],
        [spec.kind for _, spec in timers],
        [spec.due_at for _, spec in timers],
        [dict(spec.detail) for _, spec in timers],
        cancel_others_of,
        CHANNEL,
        list(rearm),
    )


def event_for(
    incident_id: UUID, due_at: datetime, detail: Mapping[str, Any], fired_at: datetime
) -> Event:
    kind = detail.get("event")
    if kind == "reminder":
        return SlaReminderDue(
            incident_id=incident_id,
            clock=str(detail["clock"]),
            due_at=datetime.fromisoformat(str(detail["due"])),
            fired_at=fired_at,
        )
    if kind == "breach":
        return SlaBreached(
            incident_id=incident_id, clock=str(detail["clock"]), due_at=due_at, fired_at=fired_at
        )
    if kind == "escalation":
        return SlaEscalated(
            incident_id=incident_id,
            level=int(detail["level"]),
            notify=str(detail["notify"]),
            reassign=bool(detail.get("reassign", False)),
            fired_at=fired_at,
        )
    raise ValueError(f"timer of unknown kind {detail!r}")


_CLAIM = """
UPDATE timers t SET state = 'fired', fired_at = clock_timestamp()
FROM (
    SELECT incident_id, kind FROM timers
    -- statement_timestamp() is stable, so the index on due_at bounds the scan
    -- (clock_timestamp() is volatile and would be evaluated row by row).
    WHERE state = 'armed' AND due_at <= statement_timestamp()
    ORDER BY due_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) due
WHERE t.incident_id = due.incident_id AND t.kind = due.kind
RETURNING t.incident_id, t.kind, t.due_at, t.detail, t.fired_at
"""


async def fire_due(pool: asyncpg.Pool, producer: str, batch: int) -> int:
    """Claim up to `batch` due timers and fire them; returns how many fired."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(_CLAIM, batch)
        if not rows:
            return 0
        announcements = []
        breaches: dict[str, list[tuple[UUID, datetime]]] = {
            "response": [],
            "next_reply": [],
            "resolution": [],
        }
        for row in rows:
            event = event_for(row["incident_id"], row["due_at"], row["detail"], row["fired_at"])
            announcements.append(envelope_for(event, producer))
            if isinstance(event, SlaBreached) and event.clock in breaches:
                breaches[event.clock].append((row["incident_id"], row["due_at"]))
        # One statement for the whole batch (and one NOTIFY to the relay).
        await write_outbox(conn, announcements)
        for clock, hits in breaches.items():
            if hits:
                # Recorded on what sla knows now. A fact that arrives later but happened
                # earlier (an answer before the due time, a wait that moves it) withdraws
                # it again in clocks.refresh; the notification sent here cannot be unsent.
                await conn.execute(
                    f"""
                    UPDATE incident_clocks c SET {clock}_breached_at = b.due_at
                    FROM unnest($1::uuid[], $2::timestamptz[]) AS b (incident_id, due_at)
                    WHERE c.incident_id = b.incident_id AND c.{clock}_breached_at IS NULL
                    """,
                    [incident for incident, _ in hits],
                    [due for _, due in hits],
                )
    for row in rows:
        kind = row["kind"].split(":", 1)[0]
        SLA_TIMERS_FIRED.labels(kind).inc()
        SLA_TIMER_LATENESS.labels(kind).observe((row["fired_at"] - row["due_at"]).total_seconds())
    return len(rows)


class TimerScheduler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: str,
        *,
        batch: int = 500,
        max_sleep: float = 5.0,
        min_gap: float = 0.02,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch = batch
        self._max_sleep = max_sleep
        # Right after a firing, wait at least this long: when timers fall due in a dense
        # stream they are fired a few per transaction instead of one each, which keeps the
        # scheduler ahead of the stream at the price of a bounded few milliseconds.
        self._min_gap = min_gap
        self._wake = asyncio.Event()
        # Wall-clock epoch of the next planned look; an earlier arm wakes us up.
        self._next_look = 0.0

    async def run(self) -> None:
        listener = await self._pool.acquire()
        await listener.add_listener(CHANNEL, self._on_notify)
        log.info("timer_scheduler_started")
        try:
            while True:
                try:
                    fired = await fire_due(self._pool, self._producer, self._batch)
                except asyncpg.DeadlockDetectedError:
                    # A handler holding an incident's clock while re-arming its timers,
                    # and this claim holding the timers while recording the breach:
                    # PostgreSQL aborted this side, nothing fired; claim again at once.
                    log.warning("timer_claim_deadlock_retry")
                    continue
                if fired:
                    log.debug("timers_fired", count=fired)
                if fired >= self._batch:
                    continue  # more may be due: no sleep
                await self._sleep_until_next(self._min_gap if fired else 0.0)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(CHANNEL, self._on_notify)
            await self._pool.release(listener)

    async def _sleep_until_next(self, at_least: float) -> None:
        self._wake.clear()
        # Any arm committed while we look for the earliest timer must wake us.
        self._next_look = float("inf")
        seconds = await self._pool.fetchval(
            "SELECT extract(epoch FROM min(due_at) - clock_timestamp())::float8 "
            "FROM timers WHERE state = 'armed'"
        )
        wait = self._max_sleep if seconds is None else min(max(seconds, 0.0), self._max_sleep)
        wait = max(wait, at_least)
        if wait <= 0:
            return
        self._next_look = time.time() + wait
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait)
        self._next_look = 0.0

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            due = float(payload)
        except ValueError:
            due = 0.0
        if due < self._next_look:
            self._wake.set()
