"""/healthz, /readyz, /metrics and /failures, served by every service on its own port,
plus the consumer watchdog every service runs.

Ready means: the database answers, both broker connections are up (FastStream's, which
carries the consumers, and the one the outbox relay publishes on), and every queue this
service consumes has a consumer attached. After a broker restart the connections recover
but the consumers may not (FastStream #2758); the watchdog notices queues without
consumers and restarts the subscribers once the connection has had time to recover.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from desk_contracts.topology import QUERIES, SUBSCRIPTIONS, consumer_queue, rpc_queue
from litestar import Litestar, MediaType, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .failures import prune_failures, recent_failures
from .logging import get_logger
from .metrics import (
    CONSUMER_REATTACHMENTS,
    CONSUMERS_MISSING,
    HTTP_REQUEST_SECONDS,
    HTTP_REQUESTS,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    READY,
)
from .retry import with_backoff

if TYPE_CHECKING:
    from .service import Service

log = get_logger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


def consumed_queues(service: Service) -> list[str]:
    """Every queue this service must have a consumer on: its events and its questions."""
    namespace = service.settings.namespace
    names = [
        consumer_queue(namespace, service.name, m) for m in SUBSCRIPTIONS.get(service.name, ())
    ]
    names += [rpc_queue(namespace, q) for q in QUERIES.get(service.name, ())]
    return names


async def readiness(service: Service) -> dict[str, Any]:
    """What an operator needs to know, with the reason next to each failed check."""
    database, broker = await asyncio.gather(_check_database(service), _check_broker(service))
    checks: dict[str, Any] = {"database": database, "broker": broker}
    consumers: dict[str, int] = {}
    if broker == "ok":
        counted = await _consumer_counts(service)
        if isinstance(counted, str):
            checks["consumers"] = counted
        else:
            consumers = counted
            missing = [name for name, count in counted.items() if count == 0]
            checks["consumers"] = "ok" if not missing else f"not attached: {', '.join(missing)}"
            CONSUMERS_MISSING.set(len(missing))
    else:
        checks["consumers"] = "unknown: broker not connected"
    if not service.started.is_set():
        checks["started"] = "starting"
    ready = all(value == "ok" for value in checks.values())
    READY.set(1 if ready else 0)
    return {
        "service": service.name,
        "ready": ready,
        "checks": checks,
        "consumers": consumers,
        "outbox": await _outbox_state(service),
    }


async def _check_database(service: Service) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await service.pool.fetchval("SELECT 1")
    except Exception as error:
        return f"unavailable: {error!r}"
    return "ok"


async def _check_broker(service: Service) -> str:
    outbox_connection = service._connection
    if outbox_connection is None or outbox_connection.is_closed:
        return "unavailable: publishing connection closed"
    if not outbox_connection.connected.is_set():
        return "unavailable: publishing connection reconnecting"
    try:
        consuming = await service.broker.ping(timeout=0.5)
    except Exception as error:
        return f"unavailable: {error!r}"
    return "ok" if consuming else "unavailable: consuming connection reconnecting"


async def _consumer_counts(service: Service) -> dict[str, int] | str:
    """Consumers per queue by passive declares on a short-lived channel; a string when
    the broker could not be asked (that is not the same as 'no consumers')."""
    counts: dict[str, int] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            channel = await service.connection.channel(publisher_confirms=False)
            try:
                for name in consumed_queues(service):
                    queue = await channel.declare_queue(name, passive=True)
                    counts[name] = queue.declaration_result.consumer_count or 0
            finally:
                with contextlib.suppress(Exception):
                    await channel.close()
    except Exception as error:
        return f"unknown: could not ask the broker ({error!r})"
    return counts


async def _outbox_state(service: Service) -> dict[str, Any]:
    """Backlog and age of the oldest unpublished row (informative, not a readiness rule:
    a growing outbox is a symptom an operator should see, not a reason to stop traffic)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            row = await service.pool.fetchrow(
                "SELECT count(*) AS backlog, "
                "coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS age "
                "FROM outbox"
            )
    except Exception:
        return {}
    assert row is not None
    backlog, age = int(row["backlog"]), float(row["age"])
    OUTBOX_BACKLOG.set(backlog)
    OUTBOX_OLDEST_AGE.set(age)
    return {"backlog": backlog, "oldest_age_seconds": round(age, 3)}


async def consumer_watchdog(
    service: Service, *, interval: float = 2.0, grace: float = 12.0
) -> None:
    """Keeps the gauges fresh and re-attaches consumers that did not come back.

    `grace` is longer than the broker client's own reconnect interval (5 s), so a normal
    recovery is never interrupted; only consumers still missing on a connected broker
    after that long make the watchdog restart the subscribers."""
    missing_since: float | None = None
    last_prune = 0.0
    while True:
        await asyncio.sleep(interval)
        if not service.started.is_set():
            # Starting or stopping: the subscribers are the life cycle's business.
            missing_since = None
            continue
        if not service.broker.running:
            # A restart of ours that did not complete: keep trying.
            await reattach_consumers(service)
            continue
        report = await readiness(service)
        connected = report["checks"]["broker"] == "ok"
        missing = connected and report["checks"]["consumers"] != "ok"
        now = time.monotonic()
        if not missing:
            missing_since = None
        elif missing_since is None:
            missing_since = now
            log.warning("consumers_missing", detail=report["checks"]["consumers"])
        elif now - missing_since >= grace:
            log.warning("consumers_reattaching", detail=report["checks"]["consumers"])
            CONSUMER_REATTACHMENTS.inc()
            await reattach_consumers(service)
            missing_since = None
        if now - last_prune > 3600:
            last_prune = now
            with contextlib.suppress(Exception):
                await prune_failures(service.pool)


async def reattach_consumers(service: Service) -> None:
    """Restart the broker client: a fresh connection and every subscriber consuming again.
    Messages in flight are finished first (the broker's graceful timeout)."""
    try:
        await service.broker.stop()
    except Exception as error:
        log.warning("consumers_stop_failed", error=repr(error))
    await with_backoff(
        "RabbitMQ", service.broker.start, timeout=service.settings.connect_timeout_seconds
    )
    log.info("consumers_reattached")


def health_routes(service: Service) -> list[Any]:
    @get("/healthz", media_type=MediaType.JSON, include_in_schema=False, sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"service": service.name, "status": "alive"}

    @get("/readyz", media_type=MediaType.JSON, include_in_schema=False)
    async def readyz() -> Response[dict[str, Any]]:
        report = await readiness(service)
        return Response(report, status_code=200 if report["ready"] else 503)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @get("/failures", media_type=MediaType.JSON, include_in_schema=False)
    async def failures(queue: str | None = None) -> dict[str, Any]:
        """The last error per failed message, for the gateway's dead-letter view."""
        return {"service": service.name, "failures": await recent_failures(service.pool, queue)}

    return [healthz, readyz, metrics, failures]


def http_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Counts and times every HTTP request by its route template (not the raw path, so
    incident ids do not explode the number of series)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_with_status)
        finally:
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)

    return middleware


class _QuietServer(uvicorn.Server):
    """The service owns SIGINT/SIGTERM and stops uvicorn itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_http(app: Litestar, host: str, port: int) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        # Let uvicorn finish its lifespan and close connections instead of tearing it down.
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 10)
        raise


async def serve_health(service: Service) -> None:
    app = Litestar(route_handlers=health_routes(service), openapi_config=None, logging_config=None)
    await serve_http(app, service.settings.http_host, service.settings.service_port(service.name))
