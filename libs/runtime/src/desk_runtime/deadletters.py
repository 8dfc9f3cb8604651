"""What operators see of the broker: queue depths and consumers, and the dead letters —
read without losing or reordering them, replayed to where they came from, or discarded.

Reading a quorum queue without consuming it: every message is fetched with basic.get
and manual acknowledgement, then the channel is closed, which hands every unacknowledged
message back. The queue is drained *whole* each time (up to DRAIN_LIMIT) so the messages
go back in the order they came out. Replay and discard work the same way: the chosen
messages are acknowledged — a replayed one only after the broker confirmed the copy —
and the rest go back untouched.

Two operators draining the same queue at once would interleave their hand-backs, so
callers serialise work per queue (the gateway holds one lock per queue).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aio_pika
import httpx
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from desk_contracts import Envelope
from desk_contracts.topology import (
    DELIVERY_LIMIT,
    SUBSCRIPTIONS,
    QueueName,
    all_queues,
    consumer_queue,
)
from pydantic import ValidationError

from .metrics import QUEUE_CONSUMERS, QUEUE_MESSAGES

# A dead-letter queue longer than this is shown (and worked) in part; its order beyond
# the first DRAIN_LIMIT messages may change when they are handed back.
DRAIN_LIMIT = 1000
DEAD_LETTER_SUFFIX = ".dead"
# How long to wait for handed-back messages to be counted in their queue again.
SETTLE_SECONDS = 3.0
# Headers the broker adds when it dead-letters or redelivers; a replay starts afresh.
_BROKER_HEADERS = ("x-death", "x-delivery-count")
_BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
REPLAYS_HEADER = "x-desk-replays"

REASONS = {
    "rejected": "the consumer refused it (a body that does not validate is refused at once)",
    "delivery_limit": (
        f"handling failed on the first delivery and all {DELIVERY_LIMIT} redeliveries"
    ),
    "expired": "it waited longer than its time to live",
    "maxlen": "the queue was full",
}


# --- pure: describing one dead letter ---------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter as an operator reads it."""

    key: str  # the message id, or a digest of the body when the publisher gave none
    dead_letter_queue: str
    original_queue: str
    routing_key: str | None
    reason: str
    explanation: str
    deaths: int
    died_at: str | None
    message_id: str | None
    correlation_id: str | None
    message_type: str | None
    incident_id: str | None
    replays: int
    payload: Any
    validation_error: str | None
    size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(
    dead_letter_queue: str,
    body: bytes,
    headers: Mapping[str, Any] | None,
    message_id: str | None,
    correlation_id: str | None,
) -> DeadLetter:
    """Read the broker's x-death bookkeeping and the envelope into one record."""
    headers = dict(headers or {})
    deaths = _as_list(headers.get("x-death"))
    latest = deaths[0] if deaths else {}
    original_queue = _text(latest.get("queue")) or original_queue_of(dead_letter_queue)
    routing_keys = _as_list(latest.get("routing-keys"))
    reason = _text(headers.get("x-first-death-reason")) or _text(latest.get("reason")) or "unknown"
    payload: Any
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = body.decode("utf-8", errors="replace")
    envelope = payload if isinstance(payload, dict) else {}
    inner = envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {}
    key = message_id or "body-" + hashlib.sha256(body).hexdigest()[:20]
    return DeadLetter(
        key=key,
        dead_letter_queue=dead_letter_queue,
        original_queue=original_queue,
        routing_key=_text(routing_keys[0]) if routing_keys else None,
        reason=reason,
        explanation=REASONS.get(reason, "the broker did not say"),
        deaths=sum(int(d.get("count", 1) or 1) for d in deaths) if deaths else 1,
        died_at=_timestamp(latest.get("time")),
        message_id=message_id,
        correlation_id=correlation_id,
        message_type=_text(envelope.get("type")),
        incident_id=_text(inner.get("incident_id")) if isinstance(inner, dict) else None,
        replays=int(headers.get(REPLAYS_HEADER, 0) or 0),
        payload=payload,
        validation_error=validation_error(original_queue, body),
        size=len(body),
    )


def original_queue_of(dead_letter_queue: str) -> str:
    return dead_letter_queue.removesuffix(DEAD_LETTER_SUFFIX)


def validation_error(queue: str, body: bytes) -> str | None:
    """Why a body is refused by the consumer of `queue`, or None when it would be accepted
    (then the cause is the handler's: see the service's recorded failure)."""
    model = _model_of(queue)
    if model is None:
        return None
    try:
        envelope_type: Any = Envelope.__class_getitem__(model)
        envelope_type.model_validate_json(body)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors()[:5]
        ]
        return "; ".join(problems)
    return None


def _model_of(queue: str) -> Any:
    namespace, _, rest = queue.partition(".")
    service, _, _ = rest.partition(".")
    for message in SUBSCRIPTIONS.get(service, ()):
        if consumer_queue(namespace, service, message) == queue:
            return message
    return None


def replay_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The original headers without the broker's death and delivery bookkeeping, plus a
    replay count (so the next death shows it was replayed before)."""
    kept = {
        name: value
        for name, value in (headers or {}).items()
        if name not in _BROKER_HEADERS and not name.startswith(_BROKER_HEADER_PREFIXES)
    }
    kept[REPLAYS_HEADER] = int(kept.get(REPLAYS_HEADER, 0) or 0) + 1
    return kept


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _timestamp(value: Any) -> str | None:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat()
    return None


# --- pure: queue states from the management API -----------------------------------------


@dataclass
class QueueState:
    name: str
    service: str
    kind: str  # "events", "questions" or "dead-letters"
    messages: int | None
    messages_ready: int | None
    messages_unacknowledged: int | None
    consumers: int | None
    publish_rate: float | None = None
    deliver_rate: float | None = None
    dead_letter_queue: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def expected_queues(namespace: str) -> list[tuple[QueueName, str, str]]:
    """(declared queue, name, kind) of every queue and dead-letter queue of a namespace."""
    found: list[tuple[QueueName, str, str]] = []
    for queue in all_queues(namespace):
        found.append((queue, queue.name, "events" if queue.dead_letters else "questions"))
        if queue.dead_letters:
            found.append((queue, queue.dead_letters, "dead-letters"))
    return found


def states_from_management(namespace: str, items: list[dict[str, Any]]) -> list[QueueState]:
    """Join the management API's /api/queues answer with the queues the namespace needs
    (a needed queue that the broker does not have is reported, not skipped)."""
    by_name = {item.get("name"): item for item in items}
    states = []
    for queue, name, kind in expected_queues(namespace):
        item = by_name.get(name)
        if item is None:
            states.append(_missing(queue, name, kind))
            continue
        stats = item.get("message_stats") or {}
        states.append(
            QueueState(
                name=name,
                service=queue.service,
                kind=kind,
                messages=item.get("messages"),
                messages_ready=item.get("messages_ready"),
                messages_unacknowledged=item.get("messages_unacknowledged"),
                consumers=item.get("consumers"),
                publish_rate=(stats.get("publish_details") or {}).get("rate"),
                deliver_rate=(stats.get("deliver_get_details") or {}).get("rate"),
                dead_letter_queue=queue.dead_letters if kind == "events" else None,
            )
        )
    return states


def _missing(queue: QueueName, name: str, kind: str) -> QueueState:
    return QueueState(
        name=name,
        service=queue.service,
        kind=kind,
        messages=None,
        messages_ready=None,
        messages_unacknowledged=None,
        consumers=None,
        dead_letter_queue=queue.dead_letters if kind == "events" else None,
        error="not declared on the broker",
    )


def management_queues_url(management_url: str, amqp_url: str) -> str:
    # Every host of a broker list serves the same virtual host: the first one names it.
    vhost = urlsplit(amqp_url.split(",")[0].strip()).path.lstrip("/") or "/"
    return f"{management_url.rstrip('/')}/api/queues/{quote(vhost, safe='')}"


# --- broker I/O -------------------------------------------------------------------------


async def queue_states(
    connection: AbstractConnection,
    namespace: str,
    *,
    management_url: str | None = None,
    amqp_url: str = "",
) -> tuple[str, list[QueueState]]:
    """(source, states): the management API when configured (ready/unacked and rates),
    else passive declares (ready messages and consumers only)."""
    if management_url:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(
                management_queues_url(management_url, amqp_url),
                params={"name": f"^{namespace}\\.", "use_regex": "true", "page_size": 500},
            )
            response.raise_for_status()
            answer = response.json()
        items = answer.get("items", answer) if isinstance(answer, dict) else answer
        states = states_from_management(namespace, items)
        source = "management"
    else:
        states = [await _declared_state(connection, *entry) for entry in expected_queues(namespace)]
        source = "declare"
    for state in states:
        if state.messages_ready is not None:
            QUEUE_MESSAGES.labels(state.name).set(state.messages_ready)
        if state.consumers is not None:
            QUEUE_CONSUMERS.labels(state.name).set(state.consumers)
    return source, states


async def _declared_state(
    connection: AbstractConnection, queue: QueueName, name: str, kind: str
) -> QueueState:
    # A passive declare of a missing queue closes its channel: one channel per queue.
    try:
        channel = await connection.channel(publisher_confirms=False)
    except Exception as error:
        return QueueState(name, queue.service, kind, None, None, None, None, error=repr(error))
    try:
        declared = await channel.declare_queue(name, passive=True)
        result = declared.declaration_result
        return QueueState(
            name=name,
            service=queue.service,
            kind=kind,
            messages=None,
            messages_ready=result.message_count or 0,
            messages_unacknowledged=None,
            consumers=result.consumer_count or 0,
            dead_letter_queue=queue.dead_letters if kind == "events" else None,
        )
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return _missing(queue, name, kind)
    except Exception as error:
        return QueueState(name, queue.service, kind, None, None, None, None, error=repr(error))
    finally:
        if not channel.is_closed:
            await channel.close()


def dead_letter_queues(namespace: str) -> list[str]:
    return [q.dead_letters for q in all_queues(namespace) if q.dead_letters]


class DeadLetterNotFound(LookupError):
    pass


async def read_dead_letters(
    connection: AbstractConnection, queue: str, limit: int = DRAIN_LIMIT
) -> tuple[list[DeadLetter], int]:
    """(the first `limit` dead letters in order, how many the queue holds). Nothing is
    consumed: every message fetched goes back when the channel closes."""
    letters: list[DeadLetter] = []
    channel = await connection.channel(publisher_confirms=False)
    try:
        declared = await channel.declare_queue(queue, passive=True)
        total = declared.declaration_result.message_count or 0
        for _ in range(min(total, limit)):
            message = await declared.get(no_ack=False, fail=False)
            if message is None:
                break
            letters.append(_describe_incoming(queue, message))
    finally:
        if not channel.is_closed:
            await channel.close()
    await _settled(connection, queue, total)
    return letters, total


async def replay_dead_letters(
    connection: AbstractConnection, queue: str, key: str | None = None
) -> list[DeadLetter]:
    """Send the dead letter `key` (or every one) back to the queue it died in, through the
    default exchange, with its original message id: the consumer's inbox still drops it
    if it was handled after all. Each is removed only after the broker confirmed the copy."""
    return await _work(connection, queue, key, replay=True)


async def discard_dead_letters(
    connection: AbstractConnection, queue: str, key: str | None = None
) -> list[DeadLetter]:
    return await _work(connection, queue, key, replay=False)


async def _work(
    connection: AbstractConnection, queue: str, key: str | None, *, replay: bool
) -> list[DeadLetter]:
    done: list[DeadLetter] = []
    held = 0
    channel = await connection.channel(publisher_confirms=True)
    try:
        declared = await channel.declare_queue(queue, passive=True)
        held = declared.declaration_result.message_count or 0
        # Only what is there now: a replayed message that dies again comes back behind.
        total = min(held, DRAIN_LIMIT)
        for _ in range(total):
            message = await declared.get(no_ack=False, fail=False)
            if message is None:
                break
            letter = _describe_incoming(queue, message)
            if key is not None and letter.key != key:
                continue
            if replay:
                await channel.default_exchange.publish(
                    _replayed(message),
                    routing_key=letter.original_queue,
                    mandatory=True,
                    timeout=10,
                )
            await message.ack()
            done.append(letter)
            if key is not None:
                break
    finally:
        if not channel.is_closed:
            await channel.close()
    await _settled(connection, queue, held - len(done))
    if key is not None and not done:
        raise DeadLetterNotFound(key)
    return done


async def _settled(connection: AbstractConnection, queue: str, expected: int) -> None:
    """Wait (briefly) until the messages handed back are counted in the queue again: a
    quorum queue takes them back asynchronously, and a read right after ours must see
    them all, not an empty queue."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        channel = await connection.channel(publisher_confirms=False)
        try:
            declared = await channel.declare_queue(queue, passive=True)
            if (declared.declaration_result.message_count or 0) >= expected:
                return
        finally:
            if not channel.is_closed:
                await channel.close()
        await asyncio.sleep(0.02)


def _describe_incoming(queue: str, message: AbstractIncomingMessage) -> DeadLetter:
    return describe(
        queue, message.body, message.headers, message.message_id, message.correlation_id
    )


def _replayed(message: AbstractIncomingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers=replay_headers(message.headers),
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        app_id=message.app_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


class QueueLocks:
    """One lock per queue, so two operators never drain the same queue at once."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, queue: str) -> asyncio.Lock:
        return self._locks.setdefault(queue, asyncio.Lock())
