"""Durable SLA timers under load: how fast they are armed, and how late they fire.

    python -m tests.bench.sla_timers --timers 100000
    python -m tests.bench.sla_timers --timers 1000000

It starts the sla service as a process in a namespace of its own, then

1. arms `--timers` timers (minus the ones of step 2) due hours later — the standing load
   of a big desk — through the runtime's `desk_runtime.timers.arm` (one statement per
   batch, the path every deadline change takes), with `--writers` connections in
   parallel: the arming rate;
2. arms `--firing` timers due uniformly over the next `--window` seconds and, while they
   fall due, keeps arming `--background-rate` more far-future timers per second (each
   batch NOTIFYing the scheduler, as real deadline changes do);
3. waits for every due timer to be fired (marked fired with its event in the outbox, in one
   transaction, by sla's breach handler) and reads each one's lateness (fired_at - due_at)
   from sla's database.

Prints a table, writes bench-results/sla_timers.json and drops the namespace.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from uuid import uuid4

import asyncpg
import httpx
from desk_runtime import loop as desk_loop
from desk_runtime.db import create_pool
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import ProcessGroup
from desk_runtime.testing import (
    drop_namespace,
    environment_for,
    free_port_block,
    infrastructure,
    new_namespace,
    settings_for,
    wait_until,
)
from desk_runtime.timers import Timer, arm

RESULTS = Path("bench-results")
BATCH = 1000
# sla's resolution breaches, qualified so the bench tells its two sets apart: firing,
# they do what a real breach does.
FAR_KIND = "resolution_breach:bench_far"
FIRING_KIND = "resolution_breach:bench_due"
PAYLOAD = {"event": "breach", "clock": "resolution"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def timer(kind: str, due_at: datetime) -> Timer:
    return Timer(kind, str(uuid4()), due_at, PAYLOAD)


async def arm_batches(pool: asyncpg.Pool, batches: list[list[Timer]], writers: int) -> None:
    queue: asyncio.Queue[list[Timer]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def writer() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                batch = queue.get_nowait()
                async with conn.transaction():
                    await arm(conn, batch)

    await asyncio.gather(*(writer() for _ in range(writers)))


def far_batches(count: int, now: datetime) -> list[list[Timer]]:
    batches = []
    for start in range(0, count, BATCH):
        batches.append(
            [
                timer(FAR_KIND, now + timedelta(hours=2, seconds=random.uniform(0, 86400)))
                for _ in range(min(BATCH, count - start))
            ]
        )
    return batches


async def background_arming(pool: asyncpg.Pool, rate: int, stop: asyncio.Event) -> int:
    """Arms `rate` far-future timers a second in small batches until told to stop."""
    armed = 0
    per_tick = max(1, rate // 10)
    async with pool.acquire() as conn:
        while not stop.is_set():
            started = time.perf_counter()
            now = datetime.now(UTC)
            batch = [timer(FAR_KIND, now + timedelta(hours=3)) for _ in range(per_tick)]
            async with conn.transaction():
                await arm(conn, batch)
            armed += per_tick
            await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))
    return armed


async def run(args: argparse.Namespace, log_file: IO[str]) -> dict[str, Any]:
    firing = min(args.firing, args.timers)
    with infrastructure() as infra:
        settings: DeskSettings = settings_for(
            infra, new_namespace("bsla"), http_port=free_port_block(6), log_level="WARNING"
        )
        log_path = log_file.name
        group = ProcessGroup(env=environment_for(settings), output=log_file)
        pool: asyncpg.Pool | None = None
        try:
            await group.start_service("sla")
            ready_url = f"http://127.0.0.1:{settings.service_port('sla')}/readyz"

            async def ready() -> bool:
                if group.exited():
                    raise RuntimeError(f"sla exited at start; see {log_path}")
                try:
                    async with httpx.AsyncClient(timeout=2) as http:
                        return (await http.get(ready_url)).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(ready, timeout=60, interval=0.2)
            pool = await create_pool(settings, "sla", min_size=2, max_size=args.writers + 2)

            # 1. The standing load, as fast as the writers go.
            load = args.timers - firing
            batches = far_batches(load, datetime.now(UTC))
            started = time.perf_counter()
            await arm_batches(pool, batches, args.writers)
            arm_seconds = time.perf_counter() - started
            arm_rate = load / arm_seconds if load else float("nan")
            print(f"armed {load:,} far-future timers in {arm_seconds:.1f} s", file=sys.stderr)

            # 2. Timers falling due over the window while arming goes on.
            stop = asyncio.Event()
            background = asyncio.create_task(background_arming(pool, args.background_rate, stop))
            window_start = datetime.now(UTC) + timedelta(seconds=args.lead)
            due_batches: list[list[Timer]] = []
            for start in range(0, firing, BATCH):
                due_batches.append(
                    [
                        timer(
                            FIRING_KIND,
                            window_start + timedelta(seconds=random.uniform(0, args.window)),
                        )
                        for _ in range(min(BATCH, firing - start))
                    ]
                )
            due_started = time.perf_counter()
            await arm_batches(pool, due_batches, args.writers)
            due_arm_seconds = time.perf_counter() - due_started

            # 3. Wait for all of them; lateness from sla's own records.
            async def all_fired() -> bool:
                assert pool is not None
                left = await pool.fetchval(
                    "SELECT count(*) FROM durable_timers WHERE kind = $1 AND state = 'armed'",
                    FIRING_KIND,
                )
                return bool(left == 0)

            remaining = (window_start - datetime.now(UTC)).total_seconds() + args.window
            await wait_until(all_fired, timeout=max(remaining, 0) + 120, interval=0.5)
            stop.set()
            background_armed = await background
            rows = await pool.fetch(
                "SELECT extract(epoch FROM fired_at - due_at)::float8 AS late, "
                "extract(epoch FROM fired_at - armed_at)::float8 AS since_armed "
                "FROM durable_timers WHERE kind = $1",
                FIRING_KIND,
            )
            late_ms = [row["late"] * 1000 for row in rows]
            states = {
                row["state"]: row["count"]
                for row in await pool.fetch(
                    "SELECT state, count(*) FROM durable_timers GROUP BY state ORDER BY state"
                )
            }
            fired_early = sum(1 for value in late_ms if value < 0)
            outbox_left = await pool.fetchval("SELECT count(*) FROM outbox")
            return {
                "timers": args.timers,
                "standing_load": load,
                "writers": args.writers,
                "batch": BATCH,
                "arm_seconds": round(arm_seconds, 3),
                "arm_rate_per_s": round(arm_rate, 1),
                "firing": firing,
                "window_s": args.window,
                "due_rate_per_s": round(firing / args.window, 1),
                "due_arm_seconds": round(due_arm_seconds, 3),
                "background_rate_per_s": args.background_rate,
                "background_armed": background_armed,
                "fired": len(late_ms),
                "fired_early": fired_early,
                "late_p50_ms": round(percentile(late_ms, 0.50), 1),
                "late_p99_ms": round(percentile(late_ms, 0.99), 1),
                "late_max_ms": round(max(late_ms), 1) if late_ms else None,
                "late_mean_ms": round(statistics.fmean(late_ms), 1) if late_ms else None,
                "timer_states": states,
                "outbox_left_at_end": outbox_left,
                "target": {"late_p99_ms": 250, "late_max_ms": 1000},
            }
        finally:
            if pool is not None:
                with contextlib.suppress(Exception):
                    await pool.close()
            await group.stop_all()
            await drop_namespace(settings)


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("timers armed (standing load)", f"{result['standing_load']:,}"),
        ("arming rate", f"{result['arm_rate_per_s']:,.0f} timers/s ({result['writers']} writers)"),
        ("timers falling due", f"{result['firing']:,} over {result['window_s']} s"),
        ("arming while they fire", f"{result['background_rate_per_s']:,} timers/s"),
        ("fired", f"{result['fired']:,} (early: {result['fired_early']})"),
        ("lateness p50", f"{result['late_p50_ms']} ms"),
        ("lateness p99", f"{result['late_p99_ms']} ms (target ≤ 250)"),
        ("lateness max", f"{result['late_max_ms']} ms (target ≤ 1000)"),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description="SLA timer arming rate and firing lateness")
    parser.add_argument("--timers", type=int, default=100_000, help="timers armed in total")
    parser.add_argument(
        "--firing", type=int, default=20_000, help="how many of them fall due in the window"
    )
    parser.add_argument("--window", type=float, default=30.0, help="seconds they fall due over")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds before the window")
    parser.add_argument(
        "--background-rate", type=int, default=1000, help="timers armed per second meanwhile"
    )
    parser.add_argument("--writers", type=int, default=4, help="connections arming at once")
    args = parser.parse_args()
    if args.timers < 1 or args.firing < 1 or args.window <= 0:
        parser.error("--timers, --firing and --window must be positive")
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "sla_timers.log").open("w") as log_file:
        result = desk_loop.run(run(args, log_file))
    print_table(result)
    path = RESULTS / "sla_timers.json"
    existing: dict[str, Any] = {}
    if path.exists():
        with contextlib.suppress(ValueError):
            existing = json.loads(path.read_text())
    existing[str(args.timers)] = result
    path.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"  written to {path}")


if __name__ == "__main__":
    main()
