"""One transaction of a service: the change, the inbox row and the outbox rows commit
together. Handlers announce with `publish`, set work aside for the transaction's end with
`gather`, read reference data once with `remember`, and say which facts they recorded
with `arrived` (what was parked under them is handled before the commit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import asyncpg
from desk_contracts import Envelope, Message

from . import parking
from .errors import fact
from .outbox import envelope_for, write_outbox

if TYPE_CHECKING:
    from .service import Service

T = TypeVar("T")


@dataclass(frozen=True)
class Gathered(Generic[T]):
    """An item a handler set aside for its transaction's closing step, with the message
    whose handler set it aside (announcements that follow from it continue its
    correlation)."""

    item: T
    cause: Envelope[Any] | None


# A closing step: what the transaction's handlers gathered for it, in handling order.
ClosingStep = Callable[["UnitOfWork", list[Gathered[Any]]], Awaitable[None]]


@dataclass
class TransactionEnd:
    """What the units of one transaction leave for its end (a batch of deliveries shares
    one): the items gathered for closing steps, the facts recorded (what was parked
    under them is handled before the commit), the announcements, written to the outbox
    in one statement just before the commit, and what to do once it has committed."""

    gathered: dict[ClosingStep, list[Gathered[Any]]] = field(default_factory=dict)
    outbox: list[Envelope[Message]] = field(default_factory=list)
    remembered: dict[Hashable, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)
    # Facts whose parked messages this transaction has taken out already.
    recorded: set[str] = field(default_factory=set)

    def committed(self) -> None:
        for action in self.after_commit:
            action()

    def absorb(self, part: TransactionEnd) -> None:
        """Take over what one handler, run apart (in a savepoint), left for the end."""
        for step, items in part.gathered.items():
            self.gathered.setdefault(step, []).extend(items)
        self.outbox.extend(part.outbox)
        self.after_commit.extend(part.after_commit)
        self.arrived.extend(part.arrived)


@dataclass
class UnitOfWork:
    """One transaction: the change, the inbox row and the outbox rows commit together."""

    conn: asyncpg.Connection
    service: Service
    envelope: Envelope[Any] | None = None
    end: TransactionEnd = field(default_factory=TransactionEnd)

    async def publish(
        self, payload: Message, cause: Envelope[Any] | None = None
    ) -> Envelope[Message]:
        """Announce `payload` with the commit; it continues the correlation of `cause`,
        else of the message being handled."""
        return (await self.publish_many([payload], [cause]))[0]

    async def publish_many(
        self, payloads: list[Message], causes: list[Envelope[Any] | None] | None = None
    ) -> list[Envelope[Message]]:
        """Announce several payloads with the commit; `causes`, when given, names for
        each the message it follows from (else the one being handled). The rows are
        written with the transaction's others, in one statement before the commit."""
        if causes is None:
            causes = [None] * len(payloads)
        elif len(causes) != len(payloads):
            raise ValueError("one cause (or None) per payload")
        envelopes = [
            envelope_for(payload, self.service.name, cause)
            for payload, cause in zip(payloads, causes, strict=True)
        ]
        self.end.outbox.extend(envelopes)
        return envelopes

    def arrived(self, kind: str, key: object) -> None:
        """This transaction records the fact `kind`/`key`: the messages parked waiting
        for it are handled before the commit (after the closing steps), in it. Call it
        once the fact is written (or from the closing step that writes it)."""
        self.end.arrived.append(fact(kind, key))

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed: counters count what
        happened, not what a rolled-back attempt tried."""
        self.end.after_commit.append(action)

    def gather(
        self, item: T, step: Callable[[UnitOfWork, list[Gathered[T]]], Awaitable[None]]
    ) -> None:
        """Set `item` aside for `step`, which runs once, after every handler of this
        transaction and before its commit, with all that they set aside for it: the
        deliveries handled together in one transaction share one run of the step."""
        self.end.gathered.setdefault(step, []).append(Gathered(item, self.envelope))

    async def remember(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """What `read` gives for `key`, read once per transaction: the deliveries handled
        together in one transaction share it (reference data such as a contract, which
        this transaction does not change)."""
        if key not in self.end.remembered:
            self.end.remembered[key] = await read()
        value: T = self.end.remembered[key]
        return value


async def close_transaction(
    conn: asyncpg.Connection, service: Service, end: TransactionEnd
) -> None:
    """Run the closing steps the handlers asked for, handle what was parked under the
    facts they recorded (which may gather or record more: then again), and write the
    transaction's announcements, inside the transaction (`end.committed()` follows the
    commit)."""
    closing = UnitOfWork(conn, service, end=end)
    while end.gathered or end.arrived:
        gathered, end.gathered = end.gathered, {}
        for step, items in gathered.items():
            await step(closing, items)
        facts, end.arrived = sorted(set(end.arrived) - end.recorded), []
        if facts:
            end.recorded.update(facts)
            await parking.replay(service, conn, end, facts)
    await write_outbox(conn, end.outbox)
