"""The processes' event loop: uvloop, and the coroutine's own result or error."""

from __future__ import annotations

import asyncio

import pytest
from desk_runtime import loop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


async def _fails() -> None:
    raise ValueError("from inside the loop")


def test_a_process_runs_on_uvloop_and_gets_the_result_back() -> None:
    assert loop.run(_loop_module()).startswith("uvloop")


def test_an_error_inside_comes_out_as_it_is() -> None:
    with pytest.raises(ValueError, match="from inside the loop"):
        loop.run(_fails())
