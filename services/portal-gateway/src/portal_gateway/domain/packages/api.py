"""`GET /api/v1/me/package` (a client's own organization) and
`GET /api/v1/organizations/{id}/package` (staff): the package's channels, their hours,
and each quota used and left this month with when it renews. `GET
/api/v1/reports/channels` (JSON, or CSV with `format=csv`): requests per channel and
client group, for managers, heads and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from desk_contracts.messages import CHANNEL_SEGMENTS
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Parameter

from ...accounts import User
from ...deps import field_error
from ...guards import signed_in, staff_only
from ...web.render import reader_translator
from ..accounts.service import organization_name
from .reports import READERS, ChannelStatistics, channel_statistics, statistics_csv
from .service import Package, package_of


class PackageController(Controller):
    path = "/api/v1"
    tags = ["packages"]
    guards = [signed_in]

    @get("/me/package", operation_id="getMyPackage")
    async def mine(self, request: Request[Any, Any, Any], user: User, client: RpcClient) -> Package:
        """The client's package: every channel, its hours, the quota used and left
        this month and when it renews."""
        t = reader_translator(request, user)
        if user.role.is_staff or user.organization_id is None:
            raise PermissionDeniedException(
                t("clients only; staff read /api/v1/organizations/{id}/package")
            )
        return await package_of(client, user.organization_id, t)

    @get(
        "/organizations/{organization_id:uuid}/package",
        operation_id="getOrganizationPackage",
        guards=[staff_only],
    )
    async def of_organization(
        self, request: Request[Any, Any, Any], organization_id: UUID, user: User, client: RpcClient
    ) -> Package:
        """An organization's package and quota state, for staff."""
        t = reader_translator(request, user)
        service: Service = request.app.state.service
        if await organization_name(service.pool, organization_id) is None:
            raise NotFoundException(t("no such organization"))
        return await package_of(client, organization_id, t)

    @get("/reports/channels", operation_id="channelReport")
    async def channels(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        since: datetime | None = None,
        until: datetime | None = None,
        segment_by: Segment = "package",
    ) -> ChannelStatistics:
        """Per channel and client group (`segment_by`: package, organization or none)
        over [since, until): requests, their share of the group's, those over quota,
        first-response and resolution medians (business seconds) and breach rate."""
        return await _statistics(request, user, client, since, until, segment_by)

    @get(
        "/reports/channels.csv",
        operation_id="channelReportCsv",
        media_type="text/csv; charset=utf-8",
    )
    async def channels_csv(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        since: datetime | None = None,
        until: datetime | None = None,
        segment_by: Segment = "package",
    ) -> Response[str]:
        """The same report as CSV, headed in the reader's language."""
        report = await _statistics(request, user, client, since, until, segment_by)
        t = reader_translator(request, user)
        return Response(
            statistics_csv(report, t),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="channels.csv"'},
        )


Segment = Annotated[str, Parameter(pattern="^(" + "|".join(CHANNEL_SEGMENTS) + ")$")]


async def _statistics(
    request: Request[Any, Any, Any],
    user: User,
    client: RpcClient,
    since: datetime | None,
    until: datetime | None,
    segment_by: str,
) -> ChannelStatistics:
    t = reader_translator(request, user)
    if user.role not in READERS:
        raise PermissionDeniedException(t("managers, heads and admins only"))
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise field_error(name, "give a time zone offset (e.g. 2026-03-09T09:00:00+03:00)")
    if since and until and until <= since:
        raise field_error("until", "must be after since")
    service: Service = request.app.state.service
    return await channel_statistics(
        client, service.pool, t, since=since, until=until, segment_by=segment_by
    )
