"""Durable timers: armed in the service's database, fired through the outbox once each.

A timer is a service-defined `kind`, a `key` (what it is about: an incident, an asset; a
subject's timers of several kinds share it), a due instant and a JSON payload; a kind and
a key name one timer. A kind may carry a qualifier after a colon (`next_reply_breach:
20260309T…`, `service_notice:2027`), one timer per occurrence, since a fired timer never
fires again; the part before the colon is the kind's family, which picks the handler.

Arming, moving and cancelling run inside the caller's transaction, with the change that
made them necessary. The scheduler (`schedule`) sleeps until the earliest armed timer (at
most `max_sleep`); a NOTIFY sent with the commit of an arm wakes it early when the new
timer is due before it would have looked. Due timers are claimed with FOR UPDATE SKIP
LOCKED and marked fired in a unit of work that also runs their handler, so what the
handler announces reaches the outbox in the commit that marks the timer fired: several
instances share the work, a failure before the commit leaves the timer armed for the next
claim, and a committed timer is never claimed again. Timers that fell due while no
instance ran fire at the first look. A timer whose family no handler is registered for
stays armed (a later release may handle it) and is reported once at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, Unpack

import asyncpg

from .logging import get_logger
from .service import Service, UnitOfWork

log = get_logger(__name__)

CHANNEL = "durable_timers"


@dataclass(frozen=True)
class Timer:
    """A timer to arm: which one (kind and key), when, and what its handler needs."""

    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimerState:
    """A stored timer as it stands: `state` is armed, fired or cancelled."""

    kind: str
    key: str
    due_at: datetime
    state: str
    payload: Mapping[str, Any]
    armed_at: datetime
    fired_at: datetime | None


@dataclass(frozen=True)
class FiredTimer:
    """A timer being fired: what was armed, and the instant it was claimed."""

    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any]
    fired_at: datetime

    @property
    def family(self) -> str:
        return family_of(self.kind)

    @property
    def lateness(self) -> float:
        """Seconds from the due time to the firing."""
        return (self.fired_at - self.due_at).total_seconds()


# Runs inside the unit of work that marks `timers` fired (all of one batch that share the
# handler, in one call): its writes and announcements commit with the marks, or neither.
TimerHandler = Callable[[UnitOfWork, list[FiredTimer]], Awaitable[None]]


def family_of(kind: str) -> str:
    return kind.split(":", 1)[0]


# --- arming, in the caller's transaction ------------------------------------------------

_ARM = """
WITH cancelled AS (
    UPDATE durable_timers SET state = 'cancelled'
    WHERE key = $5 AND state = 'armed' AND NOT (kind = ANY($1::text[]))
), armed AS (
    INSERT INTO durable_timers (kind, key, due_at, payload)
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[])
    ON CONFLICT (key, kind) DO UPDATE
        SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload, state = 'armed',
            armed_at = clock_timestamp(), fired_at = NULL
        WHERE (durable_timers.state <> 'fired' OR durable_timers.kind = ANY($7::text[]))
          AND (durable_timers.state <> 'armed' OR durable_timers.due_at <> EXCLUDED.due_at
               OR durable_timers.payload <> EXCLUDED.payload)
    RETURNING due_at
)
SELECT pg_notify($6, extract(epoch FROM min(due_at))::text)
FROM armed HAVING count(*) > 0
"""


async def arm(
    conn: asyncpg.Connection, timers: Iterable[Timer], *, rearm_fired: Collection[str] = ()
) -> None:
    """Arm these timers, or move them to their new due time and payload, in one statement.
    A cancelled timer is armed again; a fired one stays fired (each fires once) unless its
    kind is in `rearm_fired`. Schedulers that planned to look later are woken at commit."""
    await _arm(conn, list(timers), None, rearm_fired)


async def replace(
    conn: asyncpg.Connection,
    key: str,
    timers: Iterable[Timer],
    *,
    rearm_fired: Collection[str] = (),
) -> None:
    """Make the armed timers of `key` exactly `timers` (all of that key): arm or move
    these as `arm` does and cancel the others, in one statement."""
    wanted = list(timers)
    if any(timer.key != key for timer in wanted):
        raise ValueError(f"every timer replacing those of {key!r} must have that key")
    await _arm(conn, wanted, key, rearm_fired)


async def cancel(conn: asyncpg.Connection, key: str, kinds: Iterable[str] | None = None) -> None:
    """Cancel the armed timers of `key` (only those of `kinds`, when given); fired ones
    stay as they are."""
    if kinds is None:
        await _arm(conn, [], key, ())
        return
    await conn.execute(
        "UPDATE durable_timers SET state = 'cancelled' "
        "WHERE key = $1 AND kind = ANY($2::text[]) AND state = 'armed'",
        key,
        list(kinds),
    )


async def _arm(
    conn: asyncpg.Connection, timers: list[Timer], key: str | None, rearm_fired: Collection[str]
) -> None:
    # The cancelled and the armed rows differ by kind, so no row is changed twice.
    if not timers and key is None:
        return
    await conn.execute(
        _ARM,
        [timer.kind for timer in timers],
        [timer.key for timer in timers],
        [timer.due_at for timer in timers],
        [dict(timer.payload) for timer in timers],
        key,
        CHANNEL,
        list(rearm_fired),
    )


# --- reading ------------------------------------------------------------------------------


async def timers_of(conn: asyncpg.Connection | asyncpg.Pool, key: str) -> list[TimerState]:
    """Every timer of `key`, whatever its state, earliest first."""
    rows = await conn.fetch(
        "SELECT kind, key, due_at, state, payload, armed_at, fired_at FROM durable_timers "
        "WHERE key = $1 ORDER BY due_at, kind",
        key,
    )
    return [TimerState(**dict(row)) for row in rows]


async def count_armed(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    # The partial index on armed timers answers this without touching fired ones.
    count: int = await conn.fetchval("SELECT count(*) FROM durable_timers WHERE state = 'armed'")
    return count


# --- firing -------------------------------------------------------------------------------

_CLAIM = """
UPDATE durable_timers t SET state = 'fired', fired_at = clock_timestamp()
FROM (
    SELECT key, kind FROM durable_timers
    -- statement_timestamp() is stable, so the index on due_at bounds the scan
    -- (clock_timestamp() is volatile and would be evaluated row by row).
    WHERE state = 'armed' AND due_at <= statement_timestamp()
      AND split_part(kind, ':', 1) = ANY($2::text[])
    ORDER BY due_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) due
WHERE t.key = due.key AND t.kind = due.kind
RETURNING t.kind, t.key, t.due_at, t.payload, t.fired_at
"""


class SchedulerOptions(TypedDict, total=False):
    batch: int
    max_sleep: float
    min_gap: float


def schedule(
    service: Service,
    handlers: Mapping[str, TimerHandler],
    **options: Unpack[SchedulerOptions],
) -> TimerScheduler:
    """Fire `service`'s timers for the life of the process (a background task, restarted
    if it crashes); `handlers` maps a kind's family to its handler."""
    scheduler = TimerScheduler(service, handlers, **options)

    @service.background
    async def timer_scheduler(_: Service) -> None:
        await scheduler.run()

    return scheduler


class TimerScheduler:
    def __init__(
        self,
        service: Service,
        handlers: Mapping[str, TimerHandler],
        *,
        batch: int = 500,
        max_sleep: float = 5.0,
        min_gap: float = 0.02,
    ) -> None:
        bad = [family for family in handlers if family != family_of(family) or not family]
        if bad:
            raise ValueError(f"handlers are registered for a family (no colon): {bad}")
        self._service = service
        self._handlers = dict(handlers)
        self._families = sorted(self._handlers)
        self._batch = batch
        self._max_sleep = max_sleep
        # Right after a firing, wait at least this long: when timers fall due in a dense
        # stream they are fired a few per transaction instead of one each, which keeps the
        # scheduler ahead of the stream at the price of a bounded few milliseconds.
        self._min_gap = min_gap
        self._wake = asyncio.Event()
        # Wall-clock epoch of the next planned look; an earlier arm wakes us up.
        self._next_look = 0.0

    @property
    def asleep_until(self) -> float | None:
        """The wall-clock epoch this scheduler next looks at, while it sleeps."""
        return self._next_look if 0.0 < self._next_look < float("inf") else None

    async def run(self) -> None:
        pool = self._service.pool
        listener = await pool.acquire()
        await listener.add_listener(CHANNEL, self._on_notify)
        await self._report_unhandled(listener)
        log.info("timer_scheduler_started", families=self._families)
        try:
            while True:
                try:
                    fired = await self.fire_due()
                except asyncpg.DeadlockDetectedError:
                    # A handler's writes and a service handler re-arming timers while it
                    # holds what the handler writes: PostgreSQL aborted this side and
                    # nothing fired; claim again at once.
                    log.warning("timer_claim_deadlock_retry")
                    continue
                if fired:
                    log.debug("timers_fired", count=fired)
                if fired >= self._batch:
                    continue  # more may be due: no sleep
                await self._sleep_until_next(self._min_gap if fired else 0.0)
        finally:
            self._next_look = 0.0
            with contextlib.suppress(Exception):
                await listener.remove_listener(CHANNEL, self._on_notify)
            await pool.release(listener)

    async def fire_due(self) -> int:
        """Claim up to `batch` due timers and fire them in one unit of work; returns how
        many fired."""
        async with self._service.transaction() as uow:
            rows = await uow.conn.fetch(_CLAIM, self._batch, self._families)
            by_handler: dict[TimerHandler, list[FiredTimer]] = {}
            for row in rows:
                fired = FiredTimer(**dict(row))
                by_handler.setdefault(self._handlers[fired.family], []).append(fired)
            for handler, timers in by_handler.items():
                await handler(uow, timers)
        return len(rows)

    async def _report_unhandled(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(
            "SELECT split_part(kind, ':', 1) AS family, count(*) FROM durable_timers "
            "WHERE state = 'armed' AND NOT (split_part(kind, ':', 1) = ANY($1::text[])) "
            "GROUP BY 1 ORDER BY 1",
            self._families,
        )
        if rows:
            log.warning("timers_without_handler", families={r["family"]: r["count"] for r in rows})

    async def _sleep_until_next(self, at_least: float) -> None:
        self._wake.clear()
        # Any arm committed while we look for the earliest timer must wake us.
        self._next_look = float("inf")
        seconds = await self._service.pool.fetchval(
            "SELECT extract(epoch FROM min(due_at) - clock_timestamp())::float8 "
            "FROM durable_timers WHERE state = 'armed' "
            "AND split_part(kind, ':', 1) = ANY($1::text[])",
            self._families,
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
