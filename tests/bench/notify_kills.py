"""notify killed under load: how many mails go out twice.

    python -m tests.bench.notify_kills --rate 20 --kills 7 --interval 8

Starts the five services in a namespace of their own with an SMTP server (aiosmtpd)
that notes every mail's Message-ID, files incidents through the API at a steady rate,
kills notify with SIGKILL every `interval` seconds and starts it again at once (as a
supervisor would), waits until every delivery is settled, then counts the deliveries
whose mail arrived more than once. Each copy is matched to its delivery by the delivery
id inside the Message-ID; a doubled delivery is laid at the door of the first kill
after its first copy arrived. Also counts deliveries recorded `sent` that never arrived.
`--notify-src DIR` runs notify from another source tree (e.g. an older one, to compare).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from desk_contracts.topology import SERVICES
from desk_runtime import loop as desk_loop
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    drop_namespace,
    environment_for,
    free_port,
    free_port_block,
    infrastructure,
    new_namespace,
    settings_for,
    wait_until,
)
from portal_gateway.seed import DEMO_PASSWORD, demo_id

from .common import ADMIN_PASSWORD, agents_for, prepare_agents

RESULTS = Path("bench-results")
MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Arrivals:
    """An SMTP server's DATA handler: (Message-ID, delivery id, time) of every mail."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str, float]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        head = re.sub(rb"\r?\n[ \t]+", b" ", head)  # folded headers unfolded
        found = MESSAGE_ID.search(head)
        message_id = found.group(1).decode() if found else ""
        delivery = UUID.search(message_id)
        self.mails.append((message_id, delivery.group(0) if delivery else "", time.monotonic()))
        return "250 OK"


async def file_incidents(
    http: httpx.AsyncClient, token: str, rate: float, stop_at: float
) -> tuple[int, int]:
    """POST incidents at `rate` per second until `stop_at`; (created, errors)."""
    headers = {"authorization": f"Bearer {token}"}
    category = str(demo_id("category:fault/software"))
    created = errors = 0
    in_flight: set[asyncio.Task[None]] = set()

    async def post(n: int) -> None:
        nonlocal created, errors
        try:
            response = await http.post(
                "/api/v1/incidents",
                headers=headers,
                json={"title": f"Kill load {n}", "category_id": category, "priority": "normal"},
            )
            if response.status_code == 201:
                created += 1
            else:
                errors += 1
        except httpx.HTTPError:
            errors += 1

    started, n = time.monotonic(), 0
    while (now := time.monotonic()) < stop_at:
        n += 1
        task = asyncio.create_task(post(n))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        await asyncio.sleep(max(0.0, started + n / rate - now))
    if in_flight:
        await asyncio.gather(*in_flight)
    return created, errors


async def kill_notify_repeatedly(
    group: ProcessGroup, kills: int, interval: float, notify_env: dict[str, str]
) -> list[float]:
    times = []
    for _ in range(kills):
        await asyncio.sleep(interval)
        times.append(time.monotonic())
        await group.stop("notify", kill=True)
        await group.start("notify", [sys.executable, "-m", "notify"], env=notify_env)
    return times


async def run(args: argparse.Namespace, notify_env: dict[str, str]) -> dict[str, Any]:
    arrivals = Arrivals()
    smtp_port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with infrastructure() as infra:
        settings = settings_for(
            infra,
            new_namespace("kill"),
            http_port=free_port_block(len(SERVICES)),
            smtp_port=smtp_port,
            demo=True,
            demo_month=False,
            admin_password=ADMIN_PASSWORD,
            log_level="WARNING",
        )
        log = (RESULTS / "notify-kills-services.log").open("w")
        group = ProcessGroup(env=environment_for(settings), output=log)
        notify_db: asyncpg.Connection | None = None
        try:
            for service in SERVICES:
                if service == "notify":
                    await group.start(service, [sys.executable, "-m", "notify"], env=notify_env)
                else:
                    await group.start_service(service)
            base = f"http://127.0.0.1:{settings.http_port}"
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:

                async def ready() -> bool:
                    try:
                        return (await http.get("/readyz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(ready, timeout=60, interval=0.2)
                duration = args.kills * args.interval + args.interval
                routing = await asyncpg.connect(settings.database_url("routing"))
                try:
                    await prepare_agents(http, routing, agents_for(int(duration * args.rate), 2))
                finally:
                    await routing.close()
                token = (
                    await http.post(
                        "/api/v1/auth/token", json={"username": "alice", "password": DEMO_PASSWORD}
                    )
                ).json()["access_token"]
                limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as load:
                    stop_at = time.monotonic() + duration
                    (created, errors), kill_times = await asyncio.gather(
                        file_incidents(load, token, args.rate, stop_at),
                        kill_notify_repeatedly(group, args.kills, args.interval, notify_env),
                    )
            notify_db = await asyncpg.connect(settings.database_url("notify"))
            db = notify_db
            settle_started = time.monotonic()

            async def settled() -> bool:
                # Each incident: the requester's confirmation and the assignee's mail.
                counts = await db.fetchrow(
                    "SELECT count(*) AS rows, count(*) FILTER "
                    "(WHERE status NOT IN ('sent', 'failed')) AS open FROM deliveries"
                )
                return bool(counts["open"] == 0 and counts["rows"] >= 2 * created)

            with contextlib.suppress(TimeoutError):
                await wait_until(settled, timeout=args.settle, interval=0.5)
            settle_seconds = time.monotonic() - settle_started
            await asyncio.sleep(1.0)  # the last mails' DATA handlers
            rows = await db.fetch("SELECT id::text, status FROM deliveries")
            twice = [d for d, n in Counter(d for _, d, _ in arrivals.mails).items() if n > 1 and d]
            history = await db.fetch(
                "SELECT delivery_id::text AS id, attempt, outcome FROM delivery_attempts "
                "WHERE delivery_id = ANY($1::uuid[]) ORDER BY id",
                twice,
            )
        finally:
            if notify_db is not None:
                await notify_db.close()
            await group.stop_all()
            log.close()
            controller.stop()
            await drop_namespace(settings)

    copies = Counter(delivery for _, delivery, _ in arrivals.mails)
    ids_per_delivery: dict[str, set[str]] = {}
    arrived: dict[str, list[float]] = {}
    for message_id, delivery, at in arrivals.mails:
        ids_per_delivery.setdefault(delivery, set()).add(message_id)
        arrived.setdefault(delivery, []).append(at)
    first_arrival = {delivery: times[0] for delivery, times in arrived.items()}
    doubled = {delivery: n for delivery, n in copies.items() if n > 1}
    per_kill = [0] * len(kill_times)
    detail = []
    for delivery, n in doubled.items():
        after = [i for i, at in enumerate(kill_times) if at >= first_arrival[delivery]]
        if after:
            per_kill[after[0]] += n - 1
        kill = kill_times[after[0]] if after else kill_times[-1]
        detail.append(
            {
                "copies_s_after_kill": [round(at - kill, 2) for at in arrived[delivery]],
                "log": [f"{r['attempt']}:{r['outcome']}" for r in history if r["id"] == delivery],
            }
        )
    status = Counter(row["status"] for row in rows)
    sent = {row["id"] for row in rows if row["status"] == "sent"}
    return {
        "benchmark": "notify killed under load",
        "rate": args.rate,
        "kills": args.kills,
        "interval_s": args.interval,
        "incidents_created": created,
        "http_errors": errors,
        "deliveries": dict(status),
        "deliveries_missing": max(0, 2 * created - len(rows)),
        "mails_received": len(arrivals.mails),
        "extra_copies_total": sum(n - 1 for n in doubled.values()),
        "extra_copies_per_kill": per_kill,
        "doubled_with_one_message_id": sum(
            1 for delivery in doubled if len(ids_per_delivery[delivery]) == 1
        ),
        "seconds_to_second_copy": sorted(
            round(arrived[delivery][1] - arrived[delivery][0], 1) for delivery in doubled
        ),
        "sent_but_never_received": len(sent - set(copies)),
        "doubled": detail,
        "settle_seconds": round(settle_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=20.0, help="incidents filed per second")
    parser.add_argument("--kills", type=int, default=7)
    parser.add_argument("--interval", type=float, default=8.0, help="seconds between kills")
    parser.add_argument("--settle", type=float, default=150.0)
    parser.add_argument("--notify-src", help="run notify from this source folder")
    args = parser.parse_args()
    notify_env: dict[str, str] = {}
    if args.notify_src:
        notify_env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(args.notify_src).resolve()), os.environ.get("PYTHONPATH", "")]
        )
    RESULTS.mkdir(exist_ok=True)
    result = desk_loop.run(run(args, notify_env))
    print(json.dumps(result, indent=2))
    (RESULTS / "notify-kills.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
