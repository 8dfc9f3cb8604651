"""The broker connection cut for ten seconds and restored while clients file incidents
and staff answer them: the API answers 503 with `Retry-After` meanwhile (never 500), the
services are ready again soon after, and nothing accepted is lost or done twice."""

from __future__ import annotations

import asyncio
import os
import time
from urllib.parse import urlsplit

import pytest
from desk_runtime.tcpproxy import TcpProxy
from desk_runtime.testing import Infrastructure, drop_namespace, smtp_server, wait_until

from .harness import Load, assert_promises_kept, report, settle, start_supervised_desk

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

RATE = float(os.environ.get("DESK_FAULT_RATE", "15"))
CUT_SECONDS = 10.0


async def test_a_broker_outage_under_load_loses_and_doubles_nothing(
    infra: Infrastructure,
) -> None:
    broker = urlsplit(infra.amqp_url)
    relay = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    port = await relay.start()
    user = f"{broker.username or 'guest'}:{broker.password or 'guest'}"
    amqp_url = f"amqp://{user}@127.0.0.1:{port}{broker.path or '/'}"
    with smtp_server() as (smtp_port, mailbox):
        desk = await start_supervised_desk(Infrastructure(infra.postgres_url, amqp_url), smtp_port)
        try:
            load = Load(desk, rate=RATE)
            await load.start()
            await asyncio.sleep(4)
            await relay.cut()
            await asyncio.sleep(CUT_SECONDS)
            await relay.restore()
            restored = time.monotonic()
            await wait_until(desk.ready, timeout=90, interval=0.1)
            ready_after = time.monotonic() - restored
            await asyncio.sleep(6)
            await load.stop()
            verdict = await settle(desk, load, mailbox, timeout=120)
            report(
                "broker-cut",
                {
                    "rate": RATE,
                    "cut_s": CUT_SECONDS,
                    "restore_to_ready_s": round(ready_after, 2),
                    "statuses": dict(load.statuses),
                    "transport_errors": load.transport_errors,
                    "restarts": {
                        name: child.get("restarts")
                        for name, child in desk.state().get("children", {}).items()
                    },
                    **verdict.summary(),
                },
            )
            assert_promises_kept(load, verdict)
        finally:
            code = await desk.stop()
            await drop_namespace(desk.settings)
            await relay.close()
        assert code == 0, "desk-run did not stop cleanly on SIGTERM"
