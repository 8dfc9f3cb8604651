"""The real supervisor on real child processes (short `python -c` scripts standing in for
the services): a killed child comes back with a new pid, one that keeps dying stops the
group with a non-zero answer naming it, SIGTERM and Ctrl-C stop everything with no
restart. The state file tells the pids and restart counts throughout."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from desk_runtime.restart_policy import RestartPolicy
from desk_runtime.supervisor import ProcessGroup, Supervisor
from desk_runtime.testing import wait_until

pytestmark = pytest.mark.integration

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(3600)"]
CRASHER = [sys.executable, "-c", "import sys; print('failing', flush=True); sys.exit(3)"]
QUICK = RestartPolicy(first_delay=0.01, max_delay=0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return state


async def state_where(path: Path, predicate: Any, timeout: float = 30) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        state = read_state(path)
        return state if state is not None and predicate(state) else None

    found: dict[str, Any] = await wait_until(check, timeout=timeout, interval=0.05)
    return found


def supervisor_for(
    tmp_path: Path, children: dict[str, list[str]], policy: RestartPolicy | None = None
) -> tuple[Supervisor, io.StringIO, Path]:
    output = io.StringIO()
    state_file = tmp_path / "run" / "desk-run-test.json"
    group = ProcessGroup(env=dict(os.environ), output=output)
    return Supervisor(group, children, state_file=state_file, policy=policy), output, state_file


async def test_a_killed_child_comes_back_with_a_new_pid(tmp_path: Path) -> None:
    supervisor, output, state_file = supervisor_for(
        tmp_path, {"steady": SLEEPER, "victim": SLEEPER}
    )
    stop = asyncio.Event()
    running = asyncio.create_task(supervisor.run(stop))
    try:
        first = await state_where(state_file, lambda s: {"steady", "victim"} <= set(s["children"]))
        assert first["supervisor_pid"] == os.getpid()
        assert {c["restarts"] for c in first["children"].values()} == {0}
        old_pid = first["children"]["victim"]["pid"]
        # Its output is copied line by line…
        await wait_until(lambda: "victim        | up" in output.getvalue(), timeout=30)
        os.kill(old_pid, signal.SIGKILL)

        again = await state_where(state_file, lambda s: s["children"]["victim"]["restarts"] == 1)
        victim = again["children"]["victim"]
        assert victim["pid"] != old_pid
        assert alive(victim["pid"])
        assert victim["started_at"] > first["children"]["victim"]["started_at"]
        assert again["children"]["steady"] == first["children"]["steady"]
        assert "victim exited with code -9: restart 1 in 0.5 s" in output.getvalue()
        # …and again once it is back.
        await wait_until(lambda: output.getvalue().count("victim        | up") == 2, timeout=30)
    finally:
        stop.set()
        assert await running == 0
    pids = [c["pid"] for c in again["children"].values()]
    assert not any(alive(pid) for pid in pids)


async def test_a_child_that_keeps_dying_stops_the_group_and_is_named(tmp_path: Path) -> None:
    supervisor, output, state_file = supervisor_for(
        tmp_path, {"steady": SLEEPER, "crasher": CRASHER}, QUICK
    )
    code = await asyncio.wait_for(supervisor.run(asyncio.Event()), 60)
    assert code == 1
    assert supervisor.gave_up == "crasher"
    text = output.getvalue()
    assert "crasher died 5 times within 60 s (last exit code 3): giving up" in text
    for restart in range(1, 5):
        assert f"crasher exited with code 3: restart {restart} in" in text
    assert text.count("crasher       | failing") == 5
    state = read_state(state_file)
    assert state is not None
    assert state["children"]["crasher"]["restarts"] == 4
    assert state["children"]["steady"]["restarts"] == 0
    # The rest of the group is stopped with it.
    assert not alive(state["children"]["steady"]["pid"])


SUPERVISE = """
import asyncio, json, os, sys
from pathlib import Path
from desk_runtime.supervisor import ProcessGroup, Supervisor, run_until_signalled

children = json.loads(sys.argv[1])
group = ProcessGroup(env=dict(os.environ))
supervisor = Supervisor(group, children, state_file=Path(sys.argv[2]))
raise SystemExit(asyncio.run(run_until_signalled(supervisor)))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_everything_cleanly_with_no_restart(
    tmp_path: Path, sig: signal.Signals
) -> None:
    state_file = tmp_path / "state.json"
    children = {"one": SLEEPER, "two": SLEEPER}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUPERVISE,
        json.dumps(children),
        str(state_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        state = await state_where(state_file, lambda s: {"one", "two"} <= set(s["children"]))
        assert state["supervisor_pid"] == process.pid
        process.send_signal(sig)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    text = output.decode()
    assert process.returncode == 0, text
    assert "stopping every child" in text
    assert "restart" not in text
    assert "exited with code -15" in text  # each child was sent SIGTERM
    after = read_state(state_file)
    assert after is not None
    assert {c["restarts"] for c in after["children"].values()} == {0}
    assert not any(alive(c["pid"]) for c in after["children"].values())
