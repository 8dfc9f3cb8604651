"""Composition root of the gateway: the service runtime plus the HTTP application — every
controller and page router, the guards on the page routers, the dependencies and the
one mapping of failures to answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desk_runtime.health import health_routes, http_metrics_middleware, serve_http
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar import Litestar, Request, Router
from litestar.di import Provide

from . import api_docs
from .deps import principal, rpc
from .domain.accounts import api as accounts_api
from .domain.accounts import pages as accounts_pages
from .domain.admin import pages as admin_pages
from .domain.agents import api as agents_api
from .domain.agents import pages as agents_pages
from .domain.auth import api as auth_api
from .domain.auth import pages as auth_pages
from .domain.auth import reset_pages
from .domain.categories import api as categories_api
from .domain.categories import pages as categories_pages
from .domain.equipment import api as equipment_api
from .domain.equipment import pages as equipment_pages
from .domain.incidents import api as incidents_api
from .domain.incidents import pages as incidents_pages
from .domain.incidents import recording as incidents_recording
from .domain.knowledge import api as knowledge_api
from .domain.knowledge import editor as knowledge_editor
from .domain.knowledge import pages as knowledge_pages
from .domain.mail import api as mail_api
from .domain.mail.listener import run_mail
from .domain.notifications import api as notifications_api
from .domain.ops import api as ops_api
from .domain.packages import api as packages_api
from .domain.packages import pages as packages_pages
from .domain.profile import api as profile_api
from .domain.profile import pages as profile_pages
from .domain.sla import api as sla_api
from .domain.sla import pages as sla_pages
from .domain.staffing import api as staffing_api
from .domain.staffing import pages as staffing_pages
from .errors import EXCEPTION_HANDLERS
from .guards import admins_only, signed_in_web
from .input_hygiene import refuse_nul_characters
from .seed import ensure_admin, seed_demo
from .web import STATIC
from .web.errors import PAGE_ERRORS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# The public JSON API (v1); each controller carries its own guards.
CONTROLLERS = [
    notifications_api.NotificationPreferenceController,
    notifications_api.NotificationController,
    auth_api.AuthController,
    incidents_api.IncidentController,
    incidents_api.AttachmentController,
    categories_api.CategoryController,
    accounts_api.UserController,
    accounts_api.OrganizationController,
    agents_api.AgentController,
    agents_api.AssignmentController,
    ops_api.OpsController,
    ops_api.OpsPageController,
    sla_api.CalendarController,
    sla_api.ContractController,
    sla_api.IncidentSlaController,
    sla_api.SlaReportController,
    staffing_api.StaffingController,
    packages_api.PackageController,
    knowledge_api.ArticleController,
    knowledge_api.SuggestionController,
    knowledge_api.KnowledgeReportController,
    profile_api.ProfileController,
    equipment_api.EquipmentController,
    equipment_api.LeadTimesController,
    mail_api.MailQuarantineController,
]

# The portal: the door (login, logout, language) for anyone, the pages for a web
# session, and the admin pages for admins; every failure becomes a page.
DOOR = Router(
    path="/",
    route_handlers=[*auth_pages.PAGES, *reset_pages.PAGES],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)
PORTAL = Router(
    path="/",
    route_handlers=[
        *incidents_pages.PAGES,
        *incidents_recording.PAGES,
        *agents_pages.PAGES,
        *sla_pages.PAGES,
        *staffing_pages.PAGES,
        *packages_pages.PAGES,
        *knowledge_pages.PAGES,
        *knowledge_editor.EDITOR_PAGES,
        *profile_pages.PAGES,
        *equipment_pages.PAGES,
    ],
    guards=[signed_in_web],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)
ADMIN = Router(
    path="/admin",
    route_handlers=[
        *admin_pages.ADMIN_PAGES,
        *accounts_pages.ADMIN_PAGES,
        *categories_pages.ADMIN_PAGES,
        *sla_pages.ADMIN_PAGES,
        *equipment_pages.ADMIN_PAGES,
    ],
    # Anyone else gets the same 403 page as a client on a staff page.
    guards=[signed_in_web, admins_only],
    include_in_schema=False,
    exception_handlers=PAGE_ERRORS,
)

# `user`: whom the route's sign-in guard let in; `client`: the request/reply client.
DEPENDENCIES = {
    "user": Provide(principal, sync_to_thread=False),
    "client": Provide(rpc, sync_to_thread=False),
}


def build_service(settings: DeskSettings | None = None, *, mail: bool = False) -> Service:
    """The gateway's runtime; with `mail`, its e-mail channel too (the listener on
    DESK_INBOUND_SMTP_PORT and the sweep of mail left to process)."""
    service = Service("portal-gateway", MIGRATIONS, settings)
    service.on_startup(ensure_admin)
    if service.settings.demo:
        service.on_startup(seed_demo)
    if mail:
        service.background(run_mail)
    return service


async def before_each_request(request: Request[Any, Any, Any]) -> None:
    """NUL characters refused at the door; then, for a staff page, the reader's own
    presence for the header."""
    await refuse_nul_characters(request)
    await agents_pages.header_presence(request)


def build_http(service: Service, rpc: RpcClient) -> Litestar:
    async def connect_rpc() -> None:
        await rpc.connect(service.connection)
        service.rpc_clients.append(rpc)

    async def close_rpc() -> None:
        await rpc.close()

    app = Litestar(
        route_handlers=[
            *CONTROLLERS,
            DOOR,
            PORTAL,
            ADMIN,
            STATIC,
            api_docs.ASSETS,
            *health_routes(service),
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[http_metrics_middleware],
        before_request=before_each_request,
        openapi_config=api_docs.OPENAPI,
        on_startup=[connect_rpc],
        on_shutdown=[close_rpc],
        debug=False,
        logging_config=None,
    )
    app.state.service = service
    app.state.rpc = rpc
    api_docs.settle_variadic_tuples(app)
    return app


def main() -> None:
    service = build_service(mail=True)
    settings = service.settings
    rpc = RpcClient(
        settings.amqp_url, settings.namespace, service.name, settings.rpc_timeout_seconds
    )
    app = build_http(service, rpc)
    service.run(lambda: serve_http(app, settings.http_host, settings.http_port))
