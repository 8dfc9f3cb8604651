"""Runs the five services (and the demo mail sink) as separate processes under one
supervisor: readable interleaved logs, Ctrl-C stops everything cleanly.

`ProcessGroup` is also what the end-to-end tests use to start the real services.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from desk_contracts.topology import SERVICES

from .settings import DeskSettings

MODULES = {
    "intake": "intake",
    "sla": "sla",
    "routing": "routing",
    "notify": "notify",
    "portal-gateway": "portal_gateway",
}
COLOURS = {
    "intake": "\033[36m",
    "sla": "\033[35m",
    "routing": "\033[33m",
    "notify": "\033[32m",
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


def wait_ready(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


async def _run(args: argparse.Namespace) -> int:
    settings = DeskSettings()
    env = dict(os.environ)
    group = ProcessGroup(env=env, colour=sys.stdout.isatty(), raw=args.raw)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The demo sink stands in for a mail server only when none is configured.
    if args.mail_sink and "DESK_SMTP_HOST" not in os.environ:
        await group.start(
            "mail-sink",
            [
                sys.executable,
                "-m",
                "desk_runtime.mailsink",
                "--host",
                settings.smtp_host,
                "--port",
                str(settings.smtp_port),
                "--folder",
                str(Path("var/mail")),
            ],
        )
    for service in SERVICES:
        await group.start_service(service)
    base = f"http://{settings.http_host}:{settings.http_port}"
    ready = await asyncio.to_thread(wait_ready, f"{base}/readyz", settings.connect_timeout_seconds)
    if ready:
        print(_banner(base, settings), flush=True)
    else:
        print(
            f"\n  The gateway did not become ready at {base}/readyz; see the logs above.\n",
            flush=True,
        )
    while not stop.is_set():
        if group.exited():
            print(f"\n  Stopping: {', '.join(group.exited())} exited.\n", flush=True)
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    print("\n  Stopping the service desk…", flush=True)
    await group.stop_all()
    return 0


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
    args = parser.parse_args()
    raise SystemExit(asyncio.run(_run(args)))


if __name__ == "__main__":
    main()
