"""Operations: every service's health, the broker's queues, the dead letters (list, replay,
discard — each action recorded with who did it), shared by the JSON API and the page.

Admins and operators only (guards on the routes). The broker is read through the
gateway's own connection, so nobody needs a shell on the broker; the services' health
and recorded failures come from their health ports (`settings.service_port(name)`),
the same ones /readyz is served on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from desk_contracts.topology import SERVICES, all_queues
from desk_runtime.deadletters import (
    DeadLetter,
    DeadLetterNotFound,
    QueueLocks,
    dead_letter_queues,
    discard_dead_letters,
    queue_states,
    read_dead_letters,
    replay_dead_letters,
)
from desk_runtime.health import readiness
from desk_runtime.logging import get_logger
from desk_runtime.service import Service
from litestar.exceptions import (
    NotFoundException,
    ServiceUnavailableException,
)

from ...accounts import User
from ...deps import field_error
from .schemas import DeadLetterAction

log = get_logger(__name__)
# The views ask every service's health port; one INFO line per request is noise.
logging.getLogger("httpx").setLevel(logging.WARNING)

HEALTH_TIMEOUT_SECONDS = 3.0
# One drain of a dead-letter queue at a time (see desk_runtime.deadletters).
_LOCKS = QueueLocks()


async def health_view(service: Service) -> dict[str, Any]:
    """Every service's /readyz by its health port; the gateway answers for itself."""
    settings = service.settings

    async def one(name: str, http: httpx.AsyncClient) -> dict[str, Any]:
        port = settings.service_port(name)
        if name == service.name:
            report = await readiness(service)
        else:
            try:
                response = await http.get(f"http://{settings.http_host}:{port}/readyz")
                report = response.json()
            except (httpx.HTTPError, ValueError) as error:
                report = {
                    "service": name,
                    "ready": False,
                    "checks": {"reachable": f"no answer on port {port}: {error!r}"},
                }
        return {"port": port, **report}

    async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as http:
        services = await asyncio.gather(*(one(name, http) for name in SERVICES))
    return {"ready": all(s.get("ready") for s in services), "services": services}


async def queues_view(service: Service) -> dict[str, Any]:
    settings = service.settings
    source, states = await queue_states(
        service.connection,
        settings.namespace,
        management_url=settings.rabbitmq_management_url,
        amqp_url=settings.amqp_url,
    )
    queues = [state.to_dict() for state in states]
    dead = sum(q["messages_ready"] or 0 for q in queues if q["kind"] == "dead-letters")
    return {"source": source, "dead_letters": dead, "total": len(queues), "items": queues}


async def dead_letters_view(
    service: Service, queue: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """Dead letters in queue order with the error their consumer recorded."""
    if queue is not None and queue not in dead_letter_queues(service.settings.namespace):
        raise field_error("queue", "not a dead-letter queue of this desk")
    names = [queue] if queue else dead_letter_queues(service.settings.namespace)
    letters: list[DeadLetter] = []
    total = 0
    for name in names:
        async with _LOCKS(name):
            found, held = await read_dead_letters(service.connection, name)
        letters.extend(found)
        total += held
    page = letters[offset : offset + limit]
    errors = await _recorded_errors(service, {letter.original_queue for letter in page})
    items = []
    for letter in page:
        recorded = errors.get((letter.original_queue, letter.message_id or ""))
        items.append(
            {
                **letter.to_dict(),
                "error": recorded["last_error"] if recorded else letter.validation_error,
                "error_source": (
                    "consumer" if recorded else "validation" if letter.validation_error else None
                ),
                "attempts": recorded["attempts"] if recorded else None,
            }
        )
    return {"total": total, "limit": limit, "offset": offset, "items": items}


async def _recorded_errors(
    service: Service, queues: set[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The consuming services' last error per message (their /failures on the health port)."""
    owners = {q.name: q.service for q in all_queues(service.settings.namespace)}
    settings = service.settings
    found: dict[tuple[str, str], dict[str, Any]] = {}

    async def fetch(queue: str, http: httpx.AsyncClient) -> None:
        owner = owners.get(queue)
        if owner is None:
            return
        try:
            response = await http.get(
                f"http://{settings.http_host}:{settings.service_port(owner)}/failures",
                params={"queue": queue},
            )
            failures = response.json().get("failures", [])
        except (httpx.HTTPError, ValueError, AttributeError):
            return  # the service is down: the dead letter is still shown, without the error
        for failure in failures:
            found[(queue, failure["message_id"])] = failure

    async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as http:
        await asyncio.gather(*(fetch(queue, http) for queue in queues))
    return found


async def act_on_dead_letters(
    service: Service, user: User, action: str, data: DeadLetterAction
) -> dict[str, Any]:
    """Replay (back to the queue it died in) or discard one dead letter or the whole
    queue, one drain of a queue at a time, recorded with who did it and the outcome."""
    if data.queue not in dead_letter_queues(service.settings.namespace):
        raise field_error("queue", "not a dead-letter queue of this desk")
    work = replay_dead_letters if action == "replay" else discard_dead_letters
    outcome, detail = "ok", None
    done: Sequence[DeadLetter] = []
    try:
        async with _LOCKS(data.queue):
            done = await work(service.connection, data.queue, data.message_id)
    except DeadLetterNotFound as missing:
        raise NotFoundException(f"no dead letter {data.message_id} in {data.queue}") from missing
    except Exception as error:
        # Whatever was confirmed before the failure stays done; record the partial result.
        outcome, detail = "failed", repr(error)
        log.warning("dead_letter_action_failed", action=action, queue=data.queue, error=detail)
    keys = [letter.key for letter in done]
    await service.pool.execute(
        "INSERT INTO ops_actions (actor_id, actor_username, action, queue, message_key, "
        "affected, message_keys, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        user.id,
        user.username,
        action,
        data.queue,
        data.message_id,
        len(done),
        keys,
        outcome,
        detail,
    )
    log.info(
        "dead_letters_" + ("replayed" if action == "replay" else "discarded"),
        queue=data.queue,
        count=len(done),
        actor=user.username,
    )
    if outcome != "ok":
        raise ServiceUnavailableException(
            f"{action} stopped after {len(done)} message(s): {detail}; the rest are untouched"
        )
    return {"action": action, "queue": data.queue, "affected": len(done), "message_ids": keys}


async def actions_view(service: Service, limit: int, offset: int) -> dict[str, Any]:
    rows = await service.pool.fetch(
        "SELECT id, at, actor_id, actor_username, action, queue, message_key, affected, "
        "message_keys, outcome, detail FROM ops_actions ORDER BY id DESC LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    total = await service.pool.fetchval("SELECT count(*) FROM ops_actions")
    return {"total": total, "limit": limit, "offset": offset, "items": [_plain(r) for r in rows]}


def _plain(row: Any) -> dict[str, Any]:
    return {
        key: (
            value.isoformat()
            if isinstance(value, datetime)
            else str(value)
            if isinstance(value, UUID)
            else value
        )
        for key, value in dict(row).items()
    }


def queue_problem(queue: dict[str, Any]) -> bool:
    """A queue an operator should look at: dead letters waiting, nobody consuming a
    working queue, or a queue the broker could not describe."""
    if queue.get("error"):
        return True
    if queue.get("kind") == "dead-letters":
        return bool(queue.get("messages_ready"))
    return queue.get("consumers") == 0


def queue_groups(queues: list[dict[str, Any]]) -> list[tuple[str, bool, list[dict[str, Any]]]]:
    """Queues by service, (service, has a problem, its queues): services with a problem
    first, and within each service its problem queues first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for queue in queues:
        groups.setdefault(str(queue.get("service") or ""), []).append(queue)
    result = [
        (
            name,
            any(queue_problem(q) for q in items),
            sorted(items, key=lambda q: (not queue_problem(q), q["name"])),
        )
        for name, items in groups.items()
    ]
    return sorted(result, key=lambda group: (not group[1], group[0]))
