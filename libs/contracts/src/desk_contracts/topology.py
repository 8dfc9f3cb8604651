"""Who consumes what: the one place where exchanges, queues and bindings are named.

Services check at start-up that the handlers they register match this table, so the
contract and the code cannot drift apart; tests use it to remove a namespace's queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import messages as m
from .envelope import Message, Query

SERVICES = ("intake", "sla", "routing", "notify", "portal-gateway")

EVENTS_EXCHANGE = "events"
DEAD_LETTER_EXCHANGE = "dead-letters"

# How many times a message may be delivered before the broker dead-letters it.
DELIVERY_LIMIT = 5


SUBSCRIPTIONS: dict[str, tuple[type[Message], ...]] = {
    "intake": (m.UpsertCategory, m.IncidentAssigned, m.DeadlinesSet),
    "sla": (m.IncidentRegistered,),
    "routing": (m.UpsertAgentProfile, m.IncidentRegistered, m.IncidentStatusChanged),
    "notify": (m.UserUpserted, m.IncidentRegistered, m.IncidentAssigned),
    "portal-gateway": (),
}

QUERIES: dict[str, tuple[type[Query], ...]] = {
    "intake": (m.CreateIncident, m.GetIncident),
    "sla": (),
    "routing": (),
    "notify": (),
    "portal-gateway": (),
}

REPLIES: dict[type[Query], type[Message]] = {
    m.CreateIncident: m.IncidentCreated,
    m.GetIncident: m.IncidentView,
}


def exchange_name(namespace: str, exchange: str) -> str:
    return f"{namespace}.{exchange}"


def consumer_queue(namespace: str, service: str, message: type[Message]) -> str:
    return f"{namespace}.{service}.{message.ROUTING_KEY}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


def rpc_queue(namespace: str, query: type[Query]) -> str:
    return f"{namespace}.rpc.{query.ROUTING_KEY}"


@dataclass(frozen=True)
class QueueName:
    service: str
    name: str
    dead_letters: str | None


def all_queues(namespace: str) -> Iterator[QueueName]:
    """Every queue a namespace declares, for operators' views and for clean-up."""
    for service, consumed in SUBSCRIPTIONS.items():
        for message in consumed:
            queue = consumer_queue(namespace, service, message)
            yield QueueName(service, queue, dead_letter_queue(queue))
    for service, queries in QUERIES.items():
        for query in queries:
            yield QueueName(service, rpc_queue(namespace, query), None)
