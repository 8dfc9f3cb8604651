"""Handlers declared at module level and included by a service's composition root.

A service's `handlers/<area>.py` creates one `Handlers` and declares what it does:

    handlers = Handlers()

    @handlers.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        ...

    @handlers.answers(GetIncident)
    async def get_incident(request: GetIncident, service: Service) -> IncidentView:
        ...

and `app.py` includes them: `service.include(incidents.handlers, categories.handlers)`.
Two areas may act on one event (the cosmicpython way: an event, a list of handlers): the
service consumes it from one queue and runs their handlers in inclusion order, in the
same unit of work, so both see the delivery once or not at all.
Nothing is subscribed until then, so importing a handler module (in a unit test, say)
starts nothing, and a handler is an ordinary function a test can call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from desk_contracts import Message, RequestReply

if TYPE_CHECKING:
    from .service import Service
    from .unit_of_work import UnitOfWork

M = TypeVar("M", bound=Message)
Q = TypeVar("Q", bound=RequestReply[Any])  # a query or a request

EventHandler = Callable[[Any, "UnitOfWork"], Awaitable[None]]
RequestHandler = Callable[[Any, "Service"], Awaitable[Message]]
BackgroundTask = Callable[["Service"], Awaitable[None]]


@dataclass
class Handlers:
    """What one area of a service handles, answers and runs, in declaration order."""

    events: list[tuple[type[Message], EventHandler]] = field(default_factory=list)
    requests: list[tuple[type[RequestReply[Any]], RequestHandler]] = field(default_factory=list)
    startup: list[BackgroundTask] = field(default_factory=list)
    background: list[BackgroundTask] = field(default_factory=list)
    periodic: list[tuple[float, BackgroundTask]] = field(default_factory=list)

    def handles(
        self, model: type[M]
    ) -> Callable[[Callable[[M, UnitOfWork], Awaitable[None]]], Any]:
        """An event or command, handled in a unit of work behind the inbox."""

        def declare(handler: Callable[[M, UnitOfWork], Awaitable[None]]) -> Any:
            self.events.append((model, handler))
            return handler

        return declare

    def answers(self, request: type[Q]) -> Callable[[Callable[[Q, Service], Awaitable[Any]]], Any]:
        """A query or a request (request/reply); the handler returns its reply."""

        def declare(handler: Callable[[Q, Service], Awaitable[Any]]) -> Any:
            self.requests.append((request, handler))
            return handler

        return declare

    def on_startup(self, task: BackgroundTask) -> BackgroundTask:
        """Runs once after migrations, before consuming."""
        self.startup.append(task)
        return task

    def runs(self, task: BackgroundTask) -> BackgroundTask:
        """Runs for the life of the process; restarted on crash."""
        self.background.append(task)
        return task

    def every(self, seconds: float) -> Callable[[BackgroundTask], BackgroundTask]:
        """Runs the decorated step every `seconds` for the life of the process."""

        def declare(step: BackgroundTask) -> BackgroundTask:
            self.periodic.append((seconds, step))
            return step

        return declare


def in_turn(chain: list[EventHandler]) -> EventHandler:
    """One handler that runs those of `chain` one after the other (the list may grow
    until the service starts); a `NotYet` from any of them parks the whole delivery."""

    async def handle(message: Any, uow: UnitOfWork) -> None:
        for handler in chain:
            await handler(message, uow)

    return handle
