"""Messages that arrive before a fact they build on wait for it, parked in the service's
database, and are handled in the transaction that records that fact.

Facts travel on different queues, so a status change may reach a consumer before the
incident's registration, a notification before the recipient's contact point. A handler
that finds the fact missing raises `NotYet(kind, key)`. The runtime then, in a new
transaction, takes the fact's lock, runs the handler once more in a savepoint (the fact
may have committed meanwhile) and, if it is still missing, parks the message with its
inbox row (a redelivery is a duplicate) and acknowledges it: no redelivery is spent, no
dead letter is reached, however long the lag.

The transaction that records a fact says so with `uow.arrived(kind, key)`. Before its
commit (after its closing steps) the runtime takes the same lock, takes out what was
parked under the fact and runs each handler there, in a savepoint, with the parked
envelope (its message id keys what it causes; its correlation goes on).

The lock is what makes the two meet. Without it a parker's check ("not there") and a
recorder's look for parked messages could each miss the other's uncommitted write, and
the message would wait forever. With it, whoever comes second sees what the first
committed: the parker checks again after taking the lock, the recorder looks after
taking it (having recorded the fact before).

A replayed message may wait for yet another fact: it is parked again under that one.
One that fails for any other reason must not undo the fact's transaction: it is handed
back to its queue (its inbox row removed, the same envelope announced again; other
consumers' inboxes drop the copy) and retried there like any delivery, up to the dead
letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import asyncpg
from desk_contracts import Envelope
from pydantic import ValidationError

from .context import message_context
from .errors import NotYet
from .logging import get_logger
from .metrics import PARKED_MESSAGES, PARKED_OLDEST_AGE, PARKED_REPLAYS

if TYPE_CHECKING:
    from .service import EventHandler, Service, TransactionEnd

log = get_logger(__name__)

# The class of the parking's advisory locks (two-key form: apart from every other lock).
LOCK_CLASS = 0x7061726B  # "park"
# A handler that discovers more missing facts than this, one after another, is failed.
MAX_FACTS = 8
# Where a parked message that no longer validates waits (no fact of that name arrives).
UNREADABLE = "unreadable"
# How often the gauges of parked messages are refreshed.
GAUGE_SECONDS = 5.0


async def lock_facts(conn: asyncpg.Connection, facts: Collection[str]) -> None:
    """Hold the facts' locks until the transaction ends (in one order, so two
    transactions locking several never wait on each other in a circle)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, h) FROM "
        "(SELECT DISTINCT hashtext(f) AS h FROM unnest($2::text[]) AS f ORDER BY 1) AS facts",
        LOCK_CLASS,
        list(facts),
    )


async def park(conn: asyncpg.Connection, envelope: Envelope[Any], waiting: NotYet) -> None:
    await _park(
        conn,
        envelope.type,
        envelope.message_id,
        waiting.fact,
        envelope.model_dump(mode="json"),
        waiting,
    )


async def _park(
    conn: asyncpg.Connection,
    message_type: str,
    message_id: object,
    awaits: str,
    body: Any,
    reason: object,
) -> None:
    await conn.execute(
        """
        INSERT INTO parked_messages (message_type, message_id, awaits, envelope, reason)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (message_type, message_id) DO UPDATE
            SET awaits = EXCLUDED.awaits, reason = EXCLUDED.reason
        """,
        message_type,
        message_id,
        awaits,
        body,
        str(reason),
    )


async def take_parked(
    conn: asyncpg.Connection, facts: Collection[str], types: Collection[str]
) -> list[asyncpg.Record]:
    """What waited for `facts`, oldest first, taken out under their locks (of the
    message `types` this service handles)."""
    await lock_facts(conn, facts)
    rows = await conn.fetch(
        "DELETE FROM parked_messages WHERE awaits = ANY($1::text[]) "
        "AND message_type = ANY($2::text[]) RETURNING *",
        list(facts),
        list(types),
    )
    return sorted(rows, key=lambda row: row["id"])


async def handle_or_park(
    service: Service,
    conn: asyncpg.Connection,
    envelope: Envelope[Any],
    handler: EventHandler,
    end: TransactionEnd,
    *,
    locked: set[str],
) -> bool:
    """Run the handler in a savepoint: True once it went through (what it left for the
    transaction's end joins `end`). A fact it waits for is locked and the handler run
    again; still missing under its lock, the message is parked (False). Waiting for a
    fact this transaction recorded is a failure: parked under it, it would wait forever."""
    from .service import TransactionEnd, UnitOfWork

    while True:
        part = TransactionEnd(remembered=end.remembered)
        try:
            async with conn.transaction():
                await handler(envelope.payload, UnitOfWork(conn, service, envelope, end=part))
        except NotYet as waiting:
            if waiting.fact in end.recorded:
                raise RuntimeError(
                    f"waits for {waiting.fact}, which this transaction recorded"
                ) from waiting
            if waiting.fact in locked:
                await park(conn, envelope, waiting)
                log.info("message_parked", awaits=waiting.fact, reason=str(waiting))
                return False
            if len(locked) >= MAX_FACTS:
                raise
            await lock_facts(conn, [waiting.fact])
            locked.add(waiting.fact)
        else:
            end.absorb(part)
            return True


async def replay(
    service: Service, conn: asyncpg.Connection, end: TransactionEnd, facts: list[str]
) -> None:
    """Handle, in this transaction, what was parked waiting for `facts`, which it
    records: each message alone in a savepoint, under its own envelope; parked again if
    it waits for another fact; handed back to its queue if it fails."""
    for row in await take_parked(conn, facts, service.consumers):
        envelope_type, handler, queue = service.consumers[row["message_type"]]
        try:
            envelope = envelope_type.model_validate(row["envelope"])
        except ValidationError as error:
            # Parked by a version that wrote it differently: it must not hold up the
            # fact, and it must not vanish. It waits where an operator sees it.
            log.error("parked_message_unreadable", queue=queue, error=str(error))
            await _park(
                conn, row["message_type"], row["message_id"], UNREADABLE, row["envelope"], error
            )
            continue
        with message_context(envelope):
            try:
                handled = await handle_or_park(
                    service, conn, envelope, handler, end, locked=set(facts)
                )
            except Exception as error:
                log.exception("parked_message_failed", queue=queue, error=repr(error))
                await hand_back(conn, queue, envelope.message_id)
                end.outbox.append(envelope)
                outcome = "handed_back"
            else:
                outcome = "handled" if handled else "parked"
                if handled:
                    log.info("parked_message_handled", queue=queue, awaited=row["awaits"])
        end.after_commit.append(PARKED_REPLAYS.labels(queue, outcome).inc)


async def hand_back(conn: asyncpg.Connection, queue: str, message_id: object) -> None:
    """Forget that `queue` handled the message, so its copy announced again is handled
    as a new delivery."""
    await conn.execute(
        "DELETE FROM inbox WHERE consumer = $1 AND message_id = $2", queue, message_id
    )


async def watch(pool: asyncpg.Pool) -> None:
    """Keep /metrics' count of parked messages and the age of the oldest one: a message
    that waits for minutes names a fact that is lagging, or was lost upstream."""
    while True:
        row = await pool.fetchrow(
            "SELECT count(*) AS waiting, "
            "coalesce(extract(epoch FROM now() - min(parked_at)), 0) AS age FROM parked_messages"
        )
        PARKED_MESSAGES.set(row["waiting"])
        PARKED_OLDEST_AGE.set(float(row["age"]))
        await asyncio.sleep(GAUGE_SECONDS)
