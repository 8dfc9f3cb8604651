"""The messaging backbone against the real broker and database: inbox dedupe, dead
letters after the delivery limit, request/reply timeouts, idempotent creation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.enums import Channel, Locale, Priority, Role, Scope
from desk_contracts.messages import (
    CategoryList,
    CreateIncident,
    GetIncident,
    IncidentAssigned,
    IncidentCreated,
    IncidentRegistered,
    ListCategories,
    Principal,
    UpsertCategory,
    UserUpserted,
)
from desk_contracts.topology import consumer_queue, dead_letter_queue
from desk_runtime.metrics import INBOX_DUPLICATES
from desk_runtime.rpc import RemoteFailure, RpcClient, ServiceUnavailable
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import (
    Mailbox,
    publish,
    publish_many,
    publish_raw,
    queue_depth,
    started,
    wait_until,
)

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def notify(desk_settings: DeskSettings, smtp: tuple[int, Mailbox]) -> AsyncIterator[Service]:
    from notify.app import build

    service = build(desk_settings.replaced(**{"smtp_port": smtp[0]}))
    async with started(service):
        yield service


@pytest_asyncio.fixture
async def intake(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    from intake.app import build

    service = build(desk_settings)
    async with started(service):
        yield service


def _requester() -> UserUpserted:
    return UserUpserted(
        user_id=uuid4(),
        username="requester",
        display_name="Rita Requester",
        email="rita@example.com",
        locale=Locale.EN,
        role=Role.CLIENT,
        organization_id=uuid4(),
        scope=Scope.OWN,
    )


def _registered(user: UserUpserted) -> IncidentRegistered:
    assert user.organization_id is not None
    return IncidentRegistered(
        incident_id=uuid4(),
        number="INC-000042",
        title="Scanner jams",
        category_id=uuid4(),
        category_path=("fault",),
        priority=Priority.NORMAL,
        channel=Channel.API,
        requester_id=user.user_id,
        organization_id=user.organization_id,
        registered_at=datetime.now(UTC),
    )


async def test_an_event_delivered_twice_sends_one_mail(
    notify: Service, desk_settings: DeskSettings, smtp: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp
    user = _requester()
    await publish(desk_settings, Envelope.wrap(user, producer="test"))
    registered = Envelope.wrap(_registered(user), producer="test")
    queue = consumer_queue(desk_settings.namespace, "notify", IncidentRegistered)
    duplicates_before = INBOX_DUPLICATES.labels(queue)._value.get()
    await publish(desk_settings, registered)
    await publish(desk_settings, registered)

    await wait_until(lambda: INBOX_DUPLICATES.labels(queue)._value.get() > duplicates_before)
    await wait_until(lambda: mailbox.to("rita@example.com"))
    sent = await notify.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE event_id = $1", registered.message_id
    )
    assert sent == 1
    await wait_until(
        lambda: notify.pool.fetchval("SELECT bool_and(status = 'sent') FROM deliveries")
    )
    assert len(mailbox.to("rita@example.com")) == 1


async def test_a_message_that_always_fails_ends_in_the_dead_letters(
    intake: Service, desk_settings: DeskSettings
) -> None:
    # intake owns the incidents: an assignment of one it never had cannot be applied.
    orphan = IncidentAssigned(
        incident_id=uuid4(), agent_id=uuid4(), reason="test", assigned_at=datetime.now(UTC)
    )
    await publish(desk_settings, Envelope.wrap(orphan, producer="test"))
    parked = dead_letter_queue(consumer_queue(desk_settings.namespace, "intake", IncidentAssigned))

    async def dead_lettered() -> bool:
        ready, _ = await queue_depth(desk_settings, parked)
        return ready == 1

    await wait_until(dead_lettered, timeout=30, interval=0.2)


async def test_a_malformed_message_is_dead_lettered_at_once(
    notify: Service, desk_settings: DeskSettings
) -> None:
    await publish_raw(desk_settings, UserUpserted.ROUTING_KEY, b'{"payload": "nonsense"}')
    parked = dead_letter_queue(consumer_queue(desk_settings.namespace, "notify", UserUpserted))

    async def dead_lettered() -> bool:
        ready, _ = await queue_depth(desk_settings, parked)
        return ready == 1

    await wait_until(dead_lettered, timeout=15, interval=0.1)
    assert await notify.pool.fetchval("SELECT count(*) FROM contacts") == 0


async def test_unanswered_question_raises_service_unavailable(
    desk_settings: DeskSettings,
) -> None:
    import aio_pika
    from desk_runtime.topology import declare_topology

    connection = await aio_pika.connect_robust(desk_settings.amqp_url)
    try:
        await declare_topology(await connection.channel(), desk_settings.namespace)
        client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "test", timeout=0.3)
        await client.connect(connection)
        principal = Principal(user_id=uuid4(), role=Role.AGENT)
        with pytest.raises(ServiceUnavailable):
            await client.ask(GetIncident(principal=principal, incident_id=uuid4()))
        await client.close()
    finally:
        await connection.close()


async def test_create_is_idempotent_by_request_id_and_numbers_are_unique(
    intake: Service, desk_settings: DeskSettings
) -> None:
    category = UpsertCategory(category_id=uuid4(), code="fault", name="Fault")
    await publish(desk_settings, Envelope.wrap(category, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", category.category_id)
    )
    client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "test", timeout=5)
    await client.connect(intake.connection)
    staff = Principal(user_id=uuid4(), role=Role.AGENT)
    requester, organization = uuid4(), uuid4()

    def ask(request_id: object) -> CreateIncident:
        return CreateIncident(
            request_id=request_id,
            principal=staff,
            requester_id=requester,
            organization_id=organization,
            title="Broken",
            category_id=category.category_id,
        )

    import asyncio

    request_id = uuid4()
    first, again = await asyncio.gather(client.ask(ask(request_id)), client.ask(ask(request_id)))
    assert isinstance(first, IncidentCreated)
    assert isinstance(again, IncidentCreated)
    assert first == again
    many = await asyncio.gather(*(client.ask(ask(uuid4())) for _ in range(20)))
    numbers = {created.number for created in many if isinstance(created, IncidentCreated)}
    assert len(numbers) == 20
    assert first.number not in numbers

    with pytest.raises(RemoteFailure) as failure:
        await client.ask(GetIncident(principal=staff, incident_id=uuid4()))
    assert failure.value.failure.status == 404
    await client.close()


async def test_a_service_is_answered_with_the_reply_its_question_declares(
    intake: Service, desk_settings: DeskSettings
) -> None:
    category = UpsertCategory(category_id=uuid4(), code="network", name="Network")
    await publish(desk_settings, Envelope.wrap(category, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", category.category_id)
    )
    question = ListCategories(principal=Principal(user_id=uuid4(), role=Role.AGENT))

    listed = await intake.ask(question)
    assert isinstance(listed, CategoryList)
    assert [item.category_id for item in listed.items] == [category.category_id]
    assert await intake.ask(question, CategoryList) == listed


async def test_after_commit_actions_run_only_when_the_transaction_commits(
    intake: Service,
) -> None:
    ran: list[str] = []
    async with intake.transaction() as unit:
        await unit.conn.execute("SELECT 1")
        unit.on_commit(lambda: ran.append("committed"))

    async def failing_change() -> None:
        async with intake.transaction() as unit:
            unit.on_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert ran == ["committed"]


async def test_a_closing_step_runs_once_before_the_commit_with_all_that_was_gathered(
    intake: Service,
) -> None:
    """Handlers of one transaction set items aside; the step sees them all, in order,
    once, inside the transaction: its writes commit with the handlers' or not at all."""
    from desk_runtime.service import Gathered, UnitOfWork

    await intake.pool.execute("CREATE TABLE closing_probe (item text PRIMARY KEY)")
    runs: list[list[str]] = []

    async def record(unit: UnitOfWork, gathered: list[Gathered[str]]) -> None:
        runs.append([g.item for g in gathered])
        await unit.conn.executemany(
            "INSERT INTO closing_probe (item) VALUES ($1)", [(g.item,) for g in gathered]
        )

    async with intake.transaction() as unit:
        unit.gather("a", record)
        unit.gather("b", record)
        assert runs == [], "the step waits for the end of the transaction"
    assert runs == [["a", "b"]]

    async def gathered_then_failed() -> None:
        async with intake.transaction() as unit:
            unit.gather("c", record)
            unit.gather("a", record)  # the primary key refuses it: the step fails

    with pytest.raises(asyncpg.UniqueViolationError):
        await gathered_then_failed()
    stored = await intake.pool.fetch("SELECT item FROM closing_probe ORDER BY item")
    assert [row["item"] for row in stored] == ["a", "b"]


async def test_what_a_transaction_remembers_is_read_once_in_it_and_again_in_the_next(
    intake: Service,
) -> None:
    reads: list[str] = []

    async def read() -> str:
        reads.append("read")
        return "contract v1"

    async with intake.transaction() as unit:
        assert await unit.remember(("contract", 1), read) == "contract v1"
        assert await unit.remember(("contract", 1), read) == "contract v1"
    assert reads == ["read"]
    async with intake.transaction() as unit:
        await unit.remember(("contract", 1), read)
    assert reads == ["read", "read"]


async def test_a_burst_shares_transactions_and_a_poison_message_fails_alone(
    intake: Service, desk_settings: DeskSettings
) -> None:
    """Deliveries that queue up are handled several to a transaction; one that always
    fails rolls its batch back, the others are then handled alone and each exactly once,
    and only the failing one ends in the dead letters."""
    from prometheus_client import REGISTRY

    def batch_metric(name: str) -> float:
        value = REGISTRY.get_sample_value(f"desk_message_batch_size_{name}", {"queue": queue})
        return value or 0.0

    queue = consumer_queue(desk_settings.namespace, "intake", UpsertCategory)
    kept = UpsertCategory(category_id=uuid4(), code="kept", name="Kept")
    await publish(desk_settings, Envelope.wrap(kept, producer="test"))
    await wait_until(
        lambda: intake.pool.fetchval("SELECT 1 FROM categories WHERE id = $1", kept.category_id)
    )
    # A category keeps its code once created: this command can never succeed.
    poison = kept.model_copy(update={"code": "renamed"})
    valid = [
        UpsertCategory(category_id=uuid4(), code=f"burst-{n}", name=f"Burst {n}")
        for n in range(120)
    ]
    commands = [*valid[:60], poison, *valid[60:]]
    deliveries_before, transactions_before = batch_metric("sum"), batch_metric("count")

    await publish_many(
        desk_settings, [Envelope.wrap(command, producer="test") for command in commands]
    )

    ids = [command.category_id for command in valid]
    await wait_until(
        lambda: intake.pool.fetchval(
            "SELECT count(*) = $2 FROM categories WHERE id = ANY($1::uuid[])", ids, len(ids)
        ),
        timeout=60,
    )

    async def dead_lettered() -> bool:
        ready, _ = await queue_depth(desk_settings, dead_letter_queue(queue))
        return ready == 1

    await wait_until(dead_lettered, timeout=60, interval=0.2)
    assert (
        await intake.pool.fetchval("SELECT code FROM categories WHERE id = $1", kept.category_id)
        == "kept"
    )
    # Each valid command was recorded once; the poison never was.
    envelopes_seen = await intake.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1", queue
    )
    assert envelopes_seen == len(valid) + 1  # and the first, kept category
    transactions = batch_metric("count") - transactions_before
    deliveries = batch_metric("sum") - deliveries_before
    assert deliveries >= len(commands)
    assert transactions < deliveries, "the burst was handled one delivery at a time"
