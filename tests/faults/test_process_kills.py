"""`kill -9` of every service in turn, the gateway included, while clients file incidents
and staff answer them: nothing accepted is lost, nothing is done twice, every promised
mail arrives once, and the supervisor brings each killed service back by itself."""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest
from desk_contracts.topology import SERVICES
from desk_runtime.testing import Infrastructure, drop_namespace, smtp_server
from notify.sender import CONCURRENCY as SENDER_CONCURRENCY

from .harness import (
    Load,
    assert_promises_kept,
    assignment_lags,
    report,
    settle,
    start_supervised_desk,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]

# Incidents per second from all clients together (the fault suite's default load).
RATE = float(os.environ.get("DESK_FAULT_RATE", "15"))
# Seconds of load between one service's return and the next kill.
BETWEEN_KILLS = 4.0


async def test_every_service_killed_under_load_loses_and_doubles_nothing(
    infra: Infrastructure,
) -> None:
    with smtp_server() as (smtp_port, mailbox):
        desk = await start_supervised_desk(infra, smtp_port)
        try:
            load = Load(desk, rate=RATE)
            await load.start()
            await asyncio.sleep(BETWEEN_KILLS)
            kills = []
            for service in SERVICES:
                killed_at = time.time()
                old_pid, new_pid, seconds = await desk.kill(service)
                await asyncio.sleep(BETWEEN_KILLS)
                kills.append(
                    {
                        "service": service,
                        "old_pid": old_pid,
                        "new_pid": new_pid,
                        "kill_to_ready_s": round(seconds, 2),
                        "killed_at": killed_at,
                    }
                )
            await load.stop()
            verdict = await settle(desk, load, mailbox, timeout=120)
            for kill in kills:
                lags = await assignment_lags(desk, load, kill["killed_at"], kill["killed_at"] + 10)
                kill["assignment_lag_max_s"] = round(lags[-1], 2) if lags else None
                kill["assignment_lag_p50_s"] = round(statistics.median(lags), 2) if lags else None
                kill["restarts"] = desk.child(kill["service"]).get("restarts")
            report(
                "process-kills",
                {
                    "rate": RATE,
                    "kills": kills,
                    "statuses": dict(load.statuses),
                    "transport_errors": load.transport_errors,
                    **verdict.summary(),
                },
            )
            # One notify kill: the sends it had under way at most.
            assert_promises_kept(load, verdict, resends_allowed=SENDER_CONCURRENCY)
            for kill in kills:
                assert kill["new_pid"] != kill["old_pid"]
                assert kill["restarts"] >= 1, kill
        finally:
            code = await desk.stop()
            await drop_namespace(desk.settings)
        assert code == 0, "desk-run did not stop cleanly on SIGTERM"
