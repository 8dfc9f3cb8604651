"""The heads' staffing page: a heat map of the gap by weekday and hour, the hours most
under-staffed first, the whole table, and the clients waiting past their target."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from desk_contracts.messages import StaffingHourView, WaitingClients
from litestar import Request, Response, get
from pydantic import ValidationError

from ...deps import gateway, principal, rpc
from ...web.render import render
from .guards import heads_and_admins
from .service import staffing_report, waiting_clients

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _number(raw: str | None, default: float, low: float, high: float) -> float:
    """A form's number, or the default when it is missing or out of range (the page
    then shows the value it used)."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if low < value < high else default


def gap_colour(hour: StaffingHourView) -> str:
    """Red for a shortage (the deeper, the darker), green for enough, grey for an hour
    with nothing to staff (or no handle time to size it by)."""
    gap = hour.gap
    if gap is None or (hour.arrivals == 0 and hour.online == 0):
        return "#e5e9f0"
    if gap >= 0:
        return "#86efac" if gap < 1 else "#22c55e"
    return "#fca5a5" if gap > -1 else ("#ef4444" if gap > -3 else "#991b1b")


async def names_of(request: Request[Any, Any, Any], ids: list[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await gateway(request).pool.fetch(
        "SELECT id, display_name FROM users WHERE id = ANY($1::uuid[])", ids
    )
    return {row["id"]: row["display_name"] for row in rows}


@get("/staffing", include_in_schema=False, guards=[heads_and_admins])
async def staffing_page(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    query = request.query_params
    weeks = int(_number(query.get("weeks"), 8, 0, 53))
    level = _number(query.get("service_level"), 0.8, 0, 1)
    within = _number(query.get("answer_within_minutes"), 0, 0, 60 * 24 * 30) or None
    zone = (query.get("time_zone") or "").strip() or None
    zone_error = False
    try:
        report = await staffing_report(
            client,
            weeks=weeks,
            service_level=level,
            answer_within_minutes=within,
            time_zone=zone,
        )
    except ValidationError:
        zone_error = True
        report = await staffing_report(
            client, weeks=weeks, service_level=level, answer_within_minutes=within, time_zone=None
        )
    waiting: WaitingClients = await waiting_clients(client, 50)
    names = await names_of(request, [w.assignee_id for w in waiting.items if w.assignee_id])
    grid = [[report.hours[day * 24 + hour] for hour in range(24)] for day in range(7)]
    csv_query = urlencode(
        {
            "weeks": weeks,
            "service_level": level,
            "time_zone": report.time_zone,
            **({"answer_within_minutes": within} if within else {}),
        }
    )
    return render(
        request,
        "staffing.html",
        user=user,
        report=report,
        grid=grid,
        days=DAYS,
        colour=gap_colour,
        worst=[report.hours[h] for h in report.understaffed[:10]],
        waiting=waiting,
        names=names,
        weeks=weeks,
        level=level,
        within=within,
        zone_error=zone_error,
        csv_href=f"/api/v1/reports/staffing.csv?{csv_query}",
    )


PAGES = [staffing_page]
