"""Handlers declared at module level reach the service only when it includes them."""

from __future__ import annotations

import pytest
from desk_contracts.messages import GetIncident, IncidentRegistered
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork


def declared() -> Handlers:
    handlers = Handlers()

    @handlers.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        return None

    @handlers.answers(GetIncident)
    async def get_incident(request: GetIncident, service: Service) -> None:
        return None

    @handlers.on_startup
    async def seed(service: Service) -> None:
        return None

    @handlers.every(5.0)
    async def sweep(service: Service) -> None:
        return None

    return handlers


def test_declaring_subscribes_nothing_until_included() -> None:
    handlers = declared()
    service = Service("probe")
    assert service.consumers == {}

    service.include(handlers)

    assert [m for m, _ in handlers.events] == [IncidentRegistered]
    assert IncidentRegistered.ROUTING_KEY in service.consumers
    assert service._queries.keys() == {GetIncident}
    assert len(service._startup) == 1
    assert len(service._background) == 1  # the periodic sweep's loop


def test_one_handler_included_twice_is_refused() -> None:
    handlers = declared()
    with pytest.raises(ValueError, match="on_registered handles IncidentRegistered twice"):
        Service("probe").include(handlers, handlers)


async def test_areas_acting_on_one_event_run_in_turn_in_one_handler() -> None:
    seen: list[str] = []
    first, second = Handlers(), Handlers()

    @first.handles(IncidentRegistered)
    async def assign(event: IncidentRegistered, uow: UnitOfWork) -> None:
        seen.append("assign")

    @second.handles(IncidentRegistered)
    async def count_arrival(event: IncidentRegistered, uow: UnitOfWork) -> None:
        seen.append("count")

    service = Service("probe")
    service.include(first, second)
    _, handler, _ = service.consumers[IncidentRegistered.ROUTING_KEY]
    await handler(object(), object())  # type: ignore[arg-type]
    assert seen == ["assign", "count"]
