"""Operations over HTTP (admins and operators): every service's health, the broker's
queues, the dead letters and their replay or discard, who did what, and a small
auto-refreshing page for the operator."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post

from ...accounts import User
from ...deps import Limit, Offset, gateway
from ...guards import operators_only, signed_in, signed_in_page
from ...web.errors import PAGE_ERRORS
from ...web.render import render
from .schemas import DeadLetterAction
from .service import (
    act_on_dead_letters,
    actions_view,
    dead_letters_view,
    health_view,
    queue_groups,
    queues_view,
)


class OpsController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]
    guards = [signed_in, operators_only]

    @get("/health", operation_id="getOpsHealth")
    async def health(self, request: Request[Any, Any, Any], user: User) -> dict[str, Any]:
        """Every service's readiness: database, broker, consumers attached, outbox backlog."""
        return await health_view(gateway(request))

    @get("/queues", operation_id="listOpsQueues")
    async def queues(self, request: Request[Any, Any, Any], user: User) -> dict[str, Any]:
        """Every queue of the desk with depth and consumers (and unacked messages and rates
        when the RabbitMQ management API is configured), dead-letter queues included."""
        return await queues_view(gateway(request))

    @get("/dead-letters", operation_id="listDeadLetters")
    async def dead_letters(
        self,
        request: Request[Any, Any, Any],
        user: User,
        queue: str | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Dead letters in queue order: original queue and routing key, the broker's reason,
        the error the consumer recorded (or why the body does not validate), the payload."""
        return await dead_letters_view(gateway(request), queue, limit, offset)

    @post("/dead-letters/replay", operation_id="replayDeadLetters", status_code=200)
    async def replay(
        self, request: Request[Any, Any, Any], user: User, data: DeadLetterAction
    ) -> dict[str, Any]:
        """Send one dead letter (or the whole queue) back to the queue it died in."""
        return await act_on_dead_letters(gateway(request), user, "replay", data)

    @post("/dead-letters/discard", operation_id="discardDeadLetters", status_code=200)
    async def discard(
        self, request: Request[Any, Any, Any], user: User, data: DeadLetterAction
    ) -> dict[str, Any]:
        """Drop one dead letter (or the whole queue) for good; recorded like a replay."""
        return await act_on_dead_letters(gateway(request), user, "discard", data)

    @get("/actions", operation_id="listOpsActions")
    async def actions(
        self,
        request: Request[Any, Any, Any],
        user: User,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Who replayed or discarded what, newest first."""
        return await actions_view(gateway(request), limit, offset)


class OpsPageController(Controller):
    path = "/ops"
    include_in_schema = False
    guards = [signed_in_page, operators_only]
    exception_handlers = PAGE_ERRORS

    @get("/", media_type=MediaType.HTML)
    async def page(self, request: Request[Any, Any, Any], user: User) -> Response[str]:
        """The operator's page: health, queues by service with problems first, dead
        letters and recent actions; reloads every 5 s."""
        service = gateway(request)
        health, queues, dead, actions = await asyncio.gather(
            health_view(service),
            queues_view(service),
            dead_letters_view(service, None, 100, 0),
            actions_view(service, 20, 0),
        )
        response = render(
            request,
            "ops.html",
            user=user,
            namespace=service.settings.namespace,
            health=health,
            queues=queues,
            queue_groups=queue_groups(queues["items"]),
            dead=dead,
            actions=actions,
        )
        response.headers["Cache-Control"] = "no-store"
        return response
