"""Composition root of the gateway: the service runtime plus the HTTP application."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.health import health_routes, http_metrics_middleware, serve_http
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from .api import CONTROLLERS
from .errors import EXCEPTION_HANDLERS
from .input_hygiene import refuse_nul_characters
from .seed import ensure_admin, seed_demo
from .web import WEB_ROUTES

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_service(settings: DeskSettings | None = None) -> Service:
    service = Service("portal-gateway", MIGRATIONS, settings)
    service.on_startup(ensure_admin)
    if service.settings.demo:
        service.on_startup(seed_demo)
    return service


def build_http(service: Service, rpc: RpcClient) -> Litestar:
    async def connect_rpc() -> None:
        await rpc.connect(service.connection)
        service.rpc_clients.append(rpc)

    async def close_rpc() -> None:
        await rpc.close()

    app = Litestar(
        route_handlers=[*CONTROLLERS, *WEB_ROUTES, *health_routes(service)],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[http_metrics_middleware],
        before_request=refuse_nul_characters,
        openapi_config=OpenAPIConfig(
            title="Service Desk API",
            version="1.0.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=[connect_rpc],
        on_shutdown=[close_rpc],
        debug=False,
        logging_config=None,
    )
    app.state.service = service
    app.state.rpc = rpc
    return app


def main() -> None:
    service = build_service()
    settings = service.settings
    rpc = RpcClient(
        settings.amqp_url, settings.namespace, service.name, settings.rpc_timeout_seconds
    )
    app = build_http(service, rpc)
    service.run(lambda: serve_http(app, settings.http_host, settings.http_port))
