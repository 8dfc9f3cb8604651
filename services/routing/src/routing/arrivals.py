"""The assigner: each instance's background task placing the arrivals reconciliation
queues (incidents nobody placed), woken when a reconciliation queued some, and looking
every second for those another instance queued and did not get to (it stopped)."""

from __future__ import annotations

import asyncio
import contextlib
from weakref import WeakKeyDictionary

from desk_runtime.service import Service

from . import assignment

# How often the assigner looks for arrivals nobody woke it for.
ARRIVALS_LOOK_SECONDS = 1.0

_wakeups: WeakKeyDictionary[Service, asyncio.Event] = WeakKeyDictionary()


def _wakeup(service: Service) -> asyncio.Event:
    return _wakeups.setdefault(service, asyncio.Event())


def wake_assigner(service: Service) -> None:
    """Arrivals were queued: the assigner of this process places them now."""
    _wakeup(service).set()


async def assigner(service: Service) -> None:
    """Places queued arrivals in batches until fewer than a batch wait."""
    wakeup = _wakeup(service)
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), ARRIVALS_LOOK_SECONDS)
        wakeup.clear()
        while True:
            async with service.transaction() as uow:
                taken = await assignment.place_arrivals(uow)
            if taken < assignment.ARRIVALS_BATCH:
                break
