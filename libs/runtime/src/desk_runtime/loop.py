"""The event loop every desk process runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to its end on uvloop where it is installed, else on asyncio's own loop.
    The broker and database drivers spend much of their CPU in the loop itself (sockets,
    callbacks, timers), which uvloop does in C."""
    try:
        import uvloop
    except ImportError:  # a platform uvloop does not build for
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
