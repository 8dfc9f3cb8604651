"""/healthz, /readyz, /metrics and /failures, served by every service on its own port,
plus the consumer watchdog every service runs.

Ready means: the database answers, both broker connections are up (FastStream's, which
carries the consumers, and the one the outbox relay publishes on), and every queue this
service consumes — its events, its questions and the reply queues of its request/reply
clients — has a consumer attached. After a broker restart the connections recover (the
broker client tries every second) but the consumers may not (FastStream #2758); the
watchdog notices queues still without a consumer a few seconds after the connection is
back and re-attaches those consumers (or, failing that, restarts the broker client).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from aio_pika.exceptions import ChannelNotFoundEntity
from desk_contracts.topology import QUERIES, SUBSCRIPTIONS, consumer_queue, rpc_queue
from faststream.rabbit.subscriber import RabbitSubscriber
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
from .retry import BROKER_RECONNECT_SECONDS, with_backoff

if TYPE_CHECKING:
    from .service import Service

log = get_logger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


def consumed_queues(service: Service) -> list[str]:
    """Every queue this service must have a consumer on: its events, its questions and
    the reply queues of its request/reply clients."""
    namespace = service.settings.namespace
    names = [
        consumer_queue(namespace, service.name, m) for m in SUBSCRIPTIONS.get(service.name, ())
    ]
    names += [rpc_queue(namespace, q) for q in QUERIES.get(service.name, ())]
    names += [name for client in service.rpc_clients if (name := client.reply_queue)]
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
                    try:
                        queue = await channel.declare_queue(name, passive=True, robust=False)
                    except ChannelNotFoundEntity:
                        # Not there (an exclusive reply queue not re-declared yet): no
                        # consumer either. The broker closed the channel: a fresh one.
                        counts[name] = 0
                        with contextlib.suppress(Exception):
                            await channel.close()
                        channel = await service.connection.channel(publisher_confirms=False)
                        continue
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


async def consumer_watchdog(service: Service, *, interval: float = 1.0, grace: float = 3.0) -> None:
    """Keeps the gauges fresh and re-attaches consumers that did not come back.

    `grace` is a few of the broker client's reconnect intervals (1 s): its own recovery
    re-attaches the consumers as it reopens the channels, and is not interrupted; only
    consumers still missing that long on a connected broker are re-attached here."""
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
            queues = [name for name, count in report["consumers"].items() if count == 0]
            await reattach_consumers(service, queues or None)
            missing_since = None
        if now - last_prune > 3600:
            last_prune = now
            with contextlib.suppress(Exception):
                await prune_failures(service.pool)


async def reattach_consumers(service: Service, queues: list[str] | None = None) -> None:
    """Consume again from `queues` on the connection as it is (each of their subscribers
    stopped and started, a reply queue opened afresh); with no queues named, or if that
    fails, restart the broker client: a fresh connection and every subscriber consuming
    again. Messages in flight are finished first (the broker's graceful timeout)."""
    if queues is not None and service.broker.running:
        try:
            await _reattach(service, set(queues))
        except Exception as error:
            log.warning("consumers_reattach_failed", queues=queues, error=repr(error))
        else:
            log.info("consumers_reattached", queues=queues)
            return
    try:
        await service.broker.stop()
    except Exception as error:
        log.warning("consumers_stop_failed", error=repr(error))
    await with_backoff(
        "RabbitMQ",
        service.broker.start,
        timeout=service.settings.connect_timeout_seconds,
        max_delay=BROKER_RECONNECT_SECONDS,
    )
    log.info("consumers_reattached")


async def _reattach(service: Service, queues: set[str]) -> None:
    async with asyncio.timeout(service.settings.connect_timeout_seconds):
        for subscriber in service.broker.subscribers:
            if isinstance(subscriber, RabbitSubscriber) and subscriber.queue.name in queues:
                await subscriber.stop()
                await subscriber.start()
        for client in service.rpc_clients:
            if client.reply_queue in queues:
                await client.reattach()


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
