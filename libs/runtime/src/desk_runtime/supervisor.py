"""Runs the services (and the demo mail sink) as separate processes under one
supervisor: readable interleaved logs, a child that dies is started again (the policy is
`restart_policy`), one that keeps dying stops the desk with a non-zero exit, Ctrl-C or
SIGTERM stops everything cleanly. A state file tells each child's pid and restarts.

`ProcessGroup` alone (start, watch, stop; no restarts) is what the end-to-end tests use
to start the real services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from desk_contracts.topology import SERVICES

from .restart_policy import ChildHistory, GiveUp, RestartPolicy
from .settings import DeskSettings

MODULES = {
    "intake": "intake",
    "sla": "sla",
    "routing": "routing",
    "notify": "notify",
    "knowledge": "knowledge",
    "assets": "assets",
    "portal-gateway": "portal_gateway",
}
COLOURS = {
    "intake": "\033[36m",
    "sla": "\033[35m",
    "routing": "\033[33m",
    "notify": "\033[32m",
    "knowledge": "\033[96m",
    "assets": "\033[91m",
    "portal-gateway": "\033[34m",
    "mail-sink": "\033[37m",
}
RESET = "\033[0m"
_SKIP_KEYS = {"event", "service", "level", "timestamp"}


def pretty(line: str) -> str:
    """One JSON log line as `time service level event key=value…`."""
    try:
        record: dict[str, Any] = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "event" not in record:
        return line
    stamp = str(record.get("timestamp", ""))[11:23]
    extras = " ".join(f"{k}={v}" for k, v in record.items() if k not in _SKIP_KEYS)
    return f"{stamp} {record.get('level', ''):<7} {record['event']} {extras}".rstrip()


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    process: asyncio.subprocess.Process | None = None
    pump: asyncio.Task[None] | None = None


@dataclass
class ProcessGroup:
    """Start, watch and stop a set of processes, copying their output line by line."""

    env: Mapping[str, str]
    output: IO[str] = field(default_factory=lambda: sys.stdout)
    colour: bool = False
    raw: bool = False
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    async def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None
    ) -> ManagedProcess:
        """`env` adds to (or overrides) the group's environment for this process only."""
        managed = ManagedProcess(name, list(argv))
        managed.process = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**self.env, **(env or {})},
            start_new_session=True,
        )
        managed.pump = asyncio.create_task(self._pump(managed))
        self.processes[name] = managed
        return managed

    async def start_service(self, service: str) -> ManagedProcess:
        return await self.start(service, [sys.executable, "-m", MODULES[service]])

    async def _pump(self, managed: ManagedProcess) -> None:
        assert managed.process is not None
        assert managed.process.stdout is not None
        prefix = f"{managed.name:<14}|"
        if self.colour:
            prefix = f"{COLOURS.get(managed.name, '')}{prefix}{RESET}"
        while line := await managed.process.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            self.output.write(f"{prefix} {text if self.raw else pretty(text)}\n")
            self.output.flush()
        code = await managed.process.wait()
        self.output.write(f"{prefix} exited with code {code}\n")
        self.output.flush()

    async def stop(self, name: str, *, kill: bool = False, timeout: float = 15.0) -> None:
        managed = self.processes.pop(name, None)
        if managed is None or managed.process is None:
            return
        process = managed.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if managed.pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(managed.pump, 5)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(name) for name in list(self.processes)))

    def exited(self) -> list[str]:
        return [
            name
            for name, managed in self.processes.items()
            if managed.process is not None and managed.process.returncode is not None
        ]


async def wait_ready(url: str, timeout: float) -> bool:
    """Poll `url` until it answers 200; cancelling it stops the polling within a probe."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await asyncio.to_thread(_answers_ok, url):
            return True
        await asyncio.sleep(0.3)
    return False


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# --- supervision: the policy decides (restart_policy), this shell only acts ------------


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    """Replace the state file in one step: readers see the old content or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(temporary, path)


def default_state_file(namespace: str) -> Path:
    return Path("var/run") / f"desk-run-{namespace}.json"


@dataclass
class _Child:
    argv: list[str]
    history: ChildHistory = field(default_factory=ChildHistory)
    pid: int | None = None
    started_at: float = 0.0  # epoch, for the state file
    started_monotonic: float = 0.0


class Supervisor:
    """Keeps each child of a `ProcessGroup` running: a child that dies is started again
    after the policy's delay; one that keeps dying stops them all (`run` answers 1).
    Setting `stop` stops everything with no restart (`run` answers 0). Each start and
    restart rewrites the state file (pid, restarts, start time of every child)."""

    def __init__(
        self,
        group: ProcessGroup,
        children: Mapping[str, Sequence[str]],
        *,
        state_file: Path,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.group = group
        self.policy = policy or RestartPolicy()
        self.state_file = state_file
        self._children = {name: _Child(list(argv)) for name, argv in children.items()}
        # The child that kept dying, once one has.
        self.gave_up: str | None = None
        self._stopping = False
        self._gave_up = asyncio.Event()
        self._stop: asyncio.Event | None = None

    def _ending(self) -> bool:
        """Stopping, or about to: no restart from here on."""
        stop_set = self._stop is not None and self._stop.is_set()
        return self._stopping or stop_set or self._gave_up.is_set()

    def _say(self, text: str) -> None:
        prefix = f"{'desk-run':<14}|"
        self.group.output.write(f"{prefix} {text}\n")
        self.group.output.flush()

    def state(self) -> dict[str, Any]:
        return {
            "supervisor_pid": os.getpid(),
            "children": {
                name: {
                    "pid": child.pid,
                    "restarts": child.history.restarts,
                    "started_at": child.started_at,
                }
                for name, child in self._children.items()
                if child.pid is not None
            },
        }

    async def _start(self, name: str) -> ManagedProcess:
        child = self._children[name]
        managed = await self.group.start(name, child.argv)
        assert managed.process is not None
        child.pid = managed.process.pid
        child.started_at = time.time()
        child.started_monotonic = time.monotonic()
        write_state(self.state_file, self.state())
        return managed

    async def _keep(self, name: str, managed: ManagedProcess) -> None:
        """Watch one child for the life of the desk."""
        child = self._children[name]
        while True:
            assert managed.process is not None
            code = await managed.process.wait()
            if self._ending():
                return
            if managed.pump is not None:
                # Its last lines (and "exited with code") come before ours.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(managed.pump), 5)
            verdict, child.history = self.policy.after_exit(
                child.history, started_at=child.started_monotonic, exited_at=time.monotonic()
            )
            if isinstance(verdict, GiveUp):
                self._say(
                    f"{name} died {verdict.deaths} times within {verdict.window_seconds:g} s "
                    f"(last exit code {code}): giving up, stopping the desk"
                )
                self.gave_up = name
                self._gave_up.set()
                return
            self._say(
                f"{name} exited with code {code}: restart {verdict.restart} in {verdict.delay:g} s"
            )
            assert self._stop is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), verdict.delay)
            if self._ending():
                return
            managed = await self._start(name)
            if self._ending():  # the stop came while it was starting
                await self.group.stop(name)
                return

    async def run(
        self,
        stop: asyncio.Event,
        after_start: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> int:
        """Start every child and keep them running until `stop` is set (answers 0) or
        one keeps dying (answers 1). Everything is stopped before it returns."""
        self._stop = stop
        watchers: list[asyncio.Task[None]] = []
        extra: asyncio.Task[None] | None = None
        try:
            for name in self._children:
                managed = await self._start(name)
                watchers.append(asyncio.create_task(self._keep(name, managed)))
            if after_start is not None:
                extra = asyncio.create_task(after_start())
            stopped = asyncio.create_task(stop.wait())
            gave_up = asyncio.create_task(self._gave_up.wait())
            await asyncio.wait({stopped, gave_up}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            gave_up.cancel()
        finally:
            self._stopping = True
            stop.set()  # wakes watchers waiting out a restart delay
            self._say("stopping every child")
            if extra is not None:
                extra.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await extra
            await self.group.stop_all()
            await asyncio.gather(*watchers, return_exceptions=True)
        return 1 if self.gave_up else 0


async def run_until_signalled(
    supervisor: Supervisor, after_start: Callable[[], Coroutine[Any, Any, None]] | None = None
) -> int:
    """`Supervisor.run`, stopped by SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await supervisor.run(stop, after_start)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def service_argv(service: str) -> list[str]:
    return [sys.executable, "-m", MODULES[service]]


async def _run(args: argparse.Namespace) -> int:
    settings = DeskSettings()
    children: dict[str, list[str]] = {}
    # The demo sink stands in for a mail server only when none is configured.
    if args.mail_sink and "DESK_SMTP_HOST" not in os.environ:
        children["mail-sink"] = [
            sys.executable,
            "-m",
            "desk_runtime.mailsink",
            "--host",
            settings.smtp.host,
            "--port",
            str(settings.smtp.port),
            "--folder",
            str(Path("var/mail")),
        ]
    for service in SERVICES:
        children[service] = service_argv(service)
    group = ProcessGroup(env=dict(os.environ), colour=sys.stdout.isatty(), raw=args.raw)
    state_file = args.state_file or default_state_file(settings.namespace)
    supervisor = Supervisor(group, children, state_file=state_file)

    async def announce() -> None:
        base = f"http://{settings.http_host}:{settings.http_port}"
        if await wait_ready(f"{base}/readyz", settings.connect_timeout_seconds):
            print(_banner(base, settings), flush=True)
        else:
            print(
                f"\n  The gateway did not become ready at {base}/readyz; see the logs above.\n",
                flush=True,
            )

    code = await run_until_signalled(supervisor, announce)
    if supervisor.gave_up:
        print(
            f"\n  Stopped: {supervisor.gave_up} kept dying "
            f"({supervisor.policy.max_deaths} exits within "
            f"{supervisor.policy.window_seconds:g} s). State: {state_file}\n",
            flush=True,
        )
    else:
        print("\n  The service desk has stopped.\n", flush=True)
    return code


def _banner(base: str, settings: DeskSettings) -> str:
    lines = [
        "",
        f"  Service desk is up: {base}   (API docs: {base}/schema)",
        f"  Namespace '{settings.namespace}'. Press Ctrl-C to stop.",
    ]
    if settings.demo:
        from importlib import import_module

        seed = import_module("portal_gateway.seed")
        lines.append(f"  Demo logins (password '{seed.DEMO_PASSWORD}'):")
        for user in seed.DEMO_USERS:
            lines.append(f"    {user.username:<8} {user.role.value:<8} {user.display_name}")
        lines.append("  E-mails go to the demo mail sink and are kept in var/mail/.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the whole service desk locally")
    parser.add_argument(
        "--no-mail-sink",
        dest="mail_sink",
        action="store_false",
        help="do not start the demo SMTP sink (use DESK_SMTP_* instead)",
    )
    parser.add_argument("--raw", action="store_true", help="print the JSON log lines as they are")
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="where to keep each child's pid and restart count "
        "(default var/run/desk-run-<namespace>.json)",
    )
    args = parser.parse_args()
    raise SystemExit(asyncio.run(_run(args)))


if __name__ == "__main__":
    main()
