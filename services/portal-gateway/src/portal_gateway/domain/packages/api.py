"""`GET /api/v1/me/package` (a client's own organization) and
`GET /api/v1/organizations/{id}/package` (staff): the package's channels, their hours,
and each quota used and left this month with when it renews."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException

from ...accounts import User
from ...api.deps import current_user, require_staff, rpc
from ...web.i18n import translator
from ...web.render import language_of
from .service import Package, package_of


class PackageController(Controller):
    path = "/api/v1"
    tags = ["packages"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/me/package", operation_id="getMyPackage")
    async def mine(self, request: Request[Any, Any, Any], user: User, client: RpcClient) -> Package:
        """The client's package: every channel, its hours, the quota used and left
        this month and when it renews."""
        t = translator(language_of(request, user.locale.value))
        if user.role.is_staff or user.organization_id is None:
            raise PermissionDeniedException(
                t("clients only; staff read /api/v1/organizations/{id}/package")
            )
        return await package_of(client, user.organization_id, t)

    @get("/organizations/{organization_id:uuid}/package", operation_id="getOrganizationPackage")
    async def of_organization(
        self, request: Request[Any, Any, Any], organization_id: UUID, user: User, client: RpcClient
    ) -> Package:
        """An organization's package and quota state, for staff."""
        require_staff(user)
        t = translator(language_of(request, user.locale.value))
        service: Service = request.app.state.service
        if not await service.pool.fetchval(
            "SELECT 1 FROM organizations WHERE id = $1", organization_id
        ):
            raise NotFoundException(t("no such organization"))
        return await package_of(client, organization_id, t)
