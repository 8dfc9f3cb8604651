"""A local SMTP server for the demo: accepts every message, prints a one-line summary
and keeps the message as a .eml file so people can read what the desk sent."""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from .settings import DeskSettings


class SinkHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        raw: bytes = envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{self.count:05d}.eml"
        path.write_bytes(raw)
        print(
            json.dumps(
                {
                    "event": "mail_received",
                    "service": "mail-sink",
                    "level": "info",
                    "to": envelope.rcpt_tos,
                    "subject": str(parsed.get("Subject", "")),
                    "file": str(path),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, folder: Path) -> None:
    controller = Controller(SinkHandler(folder), hostname=host, port=port)
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        json.dumps(
            {
                "event": "mail_sink_listening",
                "service": "mail-sink",
                "level": "info",
                "address": f"{host}:{port}",
                "folder": str(folder),
            }
        ),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Demo SMTP sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="default DESK_SMTP_PORT (DESK_HTTP_PORT + 25)"
    )
    parser.add_argument("--folder", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    port = args.port if args.port is not None else DeskSettings().smtp.port
    asyncio.run(serve(args.host, port, args.folder))


if __name__ == "__main__":
    main()
