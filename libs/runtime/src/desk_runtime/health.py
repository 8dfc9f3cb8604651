"""/healthz, /readyz and /metrics, served by every service on its own port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from desk_contracts.topology import QUERIES, SUBSCRIPTIONS, consumer_queue, rpc_queue
from litestar import Litestar, MediaType, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from .service import Service


async def readiness(service: Service) -> dict[str, Any]:
    """What an operator needs to know: database, broker, and that our consumers are
    attached (after a broker restart the connection may recover without them)."""
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(2):
            await service.pool.fetchval("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unavailable: {error!r}"
    connection = service._connection
    if connection is None or connection.is_closed:
        checks["broker"] = "unavailable: not connected"
    else:
        checks["broker"] = "ok"
        missing = await _queues_without_consumers(service)
        checks["consumers"] = "ok" if not missing else f"not attached: {', '.join(missing)}"
    ready = all(value == "ok" for value in checks.values()) and service.started.is_set()
    return {"service": service.name, "ready": ready, "checks": checks}


async def _queues_without_consumers(service: Service) -> list[str]:
    namespace = service.settings.namespace
    names = [
        consumer_queue(namespace, service.name, m) for m in SUBSCRIPTIONS.get(service.name, ())
    ]
    names += [rpc_queue(namespace, q) for q in QUERIES.get(service.name, ())]
    missing: list[str] = []
    try:
        async with asyncio.timeout(2):
            channel = await service.connection.channel()
            try:
                for name in names:
                    queue = await channel.declare_queue(name, passive=True)
                    result = queue.declaration_result
                    if not result.consumer_count:
                        missing.append(name)
            finally:
                with contextlib.suppress(Exception):
                    await channel.close()
    except Exception:
        return names
    return missing


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

    return [healthz, readyz, metrics]


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
