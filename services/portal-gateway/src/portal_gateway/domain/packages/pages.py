"""The channel report's page (SPEC §12): per channel and client group (package or
organization) over a period — requests and their share as bars, over quota, complaints,
medians, breach rate, satisfaction — with its CSV; for managers, heads and admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from desk_contracts.messages import CHANNEL_SEGMENTS
from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException

from ...deps import gateway, principal, rpc
from ...web.forms import words
from ...web.render import render
from ...web.views import query_string
from .reports import READERS, channel_statistics


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


@get("/reports/channels", include_in_schema=False)
async def channel_report_page(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    t = words(request, user)
    if user.role not in READERS:
        raise PermissionDeniedException(t("managers, heads and admins only"))
    query = request.query_params
    segment_by = query.get("segment_by") or "package"
    if segment_by not in CHANNEL_SEGMENTS:
        segment_by = "package"
    since, until = _day(query.get("since")), _day(query.get("until"))
    if since and until and until <= since:
        until = None
    report = await channel_statistics(
        rpc(request), gateway(request).pool, t, since=since, until=until, segment_by=segment_by
    )
    groups: dict[str, list[Any]] = {}
    for row in report.rows:
        groups.setdefault(row.segment_name, []).append(row)
    filters = {
        "segment_by": segment_by,
        "since": since.date().isoformat() if since else None,
        "until": until.date().isoformat() if until else None,
    }
    return render(
        request,
        "channel_report.html",
        user=user,
        groups=groups,
        segments=CHANNEL_SEGMENTS,
        filters=filters,
        csv_link="/api/v1/reports/channels.csv"
        + query_string(
            {
                "segment_by": segment_by,
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            }
        ),
    )


PAGES = [channel_report_page]
