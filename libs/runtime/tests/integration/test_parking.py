"""Parked messages against the real broker and database: a message that arrives before
the fact it builds on waits for it, is handled in the fact's transaction (also in a
chain of such facts), and is handed back to its queue if it then fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.messages import IncidentAssigned, UpsertCategory
from desk_contracts.topology import consumer_queue, dead_letter_queue
from desk_runtime import parking
from desk_runtime.errors import NotYet
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import publish, queue_depth, started, wait_until

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def intake(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    from intake.app import build

    service = build(desk_settings)
    async with started(service):
        yield service


async def parked(service: Service, awaits: str) -> bool:
    return bool(
        await service.pool.fetchval("SELECT 1 FROM parked_messages WHERE awaits = $1", awaits)
    )


async def test_a_chain_of_early_facts_is_handled_when_its_first_one_arrives(
    intake: Service, desk_settings: DeskSettings
) -> None:
    """A subcategory before its category before its type: each waits for its parent,
    and the type's transaction creates all three, in order, each once."""
    kind = UpsertCategory(category_id=uuid4(), code="fault", name="Fault")
    category = UpsertCategory(
        category_id=uuid4(), parent_id=kind.category_id, code="software", name="Software"
    )
    leaf = UpsertCategory(
        category_id=uuid4(), parent_id=category.category_id, code="printing", name="Printing"
    )
    await publish(desk_settings, Envelope.wrap(leaf, producer="test"))
    await wait_until(lambda: parked(intake, f"category:{category.category_id}"))
    await publish(desk_settings, Envelope.wrap(category, producer="test"))
    await wait_until(lambda: parked(intake, f"category:{kind.category_id}"))
    assert not await intake.pool.fetchval("SELECT count(*) FROM categories")

    await publish(desk_settings, Envelope.wrap(kind, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", leaf.category_id)
    )
    paths = await intake.pool.fetch("SELECT path FROM categories")
    assert sorted(tuple(row["path"]) for row in paths) == [
        ("fault",),
        ("fault", "software"),
        ("fault", "software", "printing"),
    ]
    assert not await intake.pool.fetchval("SELECT count(*) FROM parked_messages")
    assert not await intake.pool.fetchval("SELECT count(*) FROM message_failures")
    # Each command was recorded once, parked or not: a redelivery changes nothing.
    queue = consumer_queue(desk_settings.namespace, "intake", UpsertCategory)
    assert await intake.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", queue) == 3


async def test_the_fact_recorded_while_a_message_parks_is_not_missed(
    intake: Service,
) -> None:
    """The parker checks under the fact's lock and the recorder looks for parked
    messages under it: a recorder that comes while the parker holds the lock waits, and
    then finds the message the parker committed."""
    fact = f"category:{uuid4()}"
    envelope = Envelope.wrap(
        UpsertCategory(category_id=uuid4(), code="late", name="Late"), producer="test"
    )
    parker: asyncpg.Connection
    async with intake.pool.acquire() as parker, intake.pool.acquire() as recorder:
        transaction = parker.transaction()
        await transaction.start()
        await parking.lock_facts(parker, [fact])
        async with recorder.transaction():
            looking = asyncio.create_task(
                parking.take_parked(recorder, [fact], [UpsertCategory.ROUTING_KEY])
            )
            await wait_until(lambda: waiting_for_a_fact(intake))
            await parking.park(parker, envelope, _not_yet(fact))
            await transaction.commit()
            taken = await looking
    assert [row["envelope"]["message_id"] for row in taken] == [str(envelope.message_id)]
    assert not await intake.pool.fetchval("SELECT count(*) FROM parked_messages")


async def waiting_for_a_fact(service: Service) -> bool:
    return bool(
        await service.pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = $1 AND objsubid = 2",
            parking.LOCK_CLASS,
        )
    )


def _not_yet(fact: str) -> NotYet:
    kind, _, key = fact.partition(":")
    return NotYet(kind, key)


async def test_a_parked_message_that_fails_when_handled_goes_back_to_its_queue(
    intake: Service, desk_settings: DeskSettings
) -> None:
    """The fact's transaction still commits; the message that failed is handled anew
    from its queue and, failing every time, ends in the dead letters with its error."""
    parent = UpsertCategory(category_id=uuid4(), code="fault", name="Fault")
    # An assignment of an incident intake never had, parked under the category: handled
    # when the category arrives, it fails (intake owns its incidents).
    orphan = Envelope.wrap(
        IncidentAssigned(
            incident_id=uuid4(), agent_id=uuid4(), reason="test", assigned_at=datetime.now(UTC)
        ),
        producer="test",
    )
    async with intake.pool.acquire() as conn:
        await parking.park(conn, orphan, NotYet("category", parent.category_id))

    await publish(desk_settings, Envelope.wrap(parent, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", parent.category_id)
    )
    assert not await intake.pool.fetchval("SELECT count(*) FROM parked_messages")
    queue = consumer_queue(desk_settings.namespace, "intake", IncidentAssigned)

    async def dead_lettered() -> bool:
        ready, _ = await queue_depth(desk_settings, dead_letter_queue(queue))
        return ready == 1

    await wait_until(dead_lettered, timeout=30, interval=0.2)
    failure: Any = await intake.pool.fetchrow(
        "SELECT attempts, last_error FROM message_failures WHERE message_id = $1",
        orphan.message_id,
    )
    assert failure["attempts"] >= 1
    assert "not known" in failure["last_error"]


async def test_a_parked_message_that_no_longer_reads_waits_aside_and_holds_up_nothing(
    intake: Service, desk_settings: DeskSettings
) -> None:
    parent = UpsertCategory(category_id=uuid4(), code="fault", name="Fault")
    written_otherwise = {"type": UpsertCategory.ROUTING_KEY, "payload": {"code": "x"}}
    message_id = uuid4()
    await intake.pool.execute(
        "INSERT INTO parked_messages (message_type, message_id, awaits, envelope, reason) "
        "VALUES ($1, $2, $3, $4, 'parked by an older version')",
        UpsertCategory.ROUTING_KEY,
        message_id,
        f"category:{parent.category_id}",
        written_otherwise,
    )
    await publish(desk_settings, Envelope.wrap(parent, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", parent.category_id)
    )
    row = await intake.pool.fetchrow("SELECT * FROM parked_messages")
    assert (row["message_id"], row["awaits"], row["envelope"]) == (
        message_id,
        parking.UNREADABLE,
        written_otherwise,
    )
