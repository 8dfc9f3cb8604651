"""`GET /api/v1/reports/staffing` (JSON), `GET /api/v1/reports/staffing.csv` and
`GET /api/v1/reports/waiting-clients`: heads and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from desk_contracts.messages import MAX_STAFFING_WEEKS, StaffingReport, WaitingClients
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from ...accounts import User
from ...deps import field_error
from ...guards import signed_in
from ...web.render import reader_translator
from .guards import heads_and_admins
from .service import staffing_csv, staffing_report, waiting_clients

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


Weeks = Annotated[int, Parameter(ge=1, le=MAX_STAFFING_WEEKS)]
ServiceLevel = Annotated[float, Parameter(gt=0, lt=1)]
AnswerWithin = Annotated[float | None, Parameter(gt=0)]


async def _report(
    client: RpcClient,
    weeks: int,
    service_level: float,
    answer_within_minutes: float | None,
    time_zone: str | None,
) -> StaffingReport:
    try:
        return await staffing_report(
            client,
            weeks=weeks,
            service_level=service_level,
            answer_within_minutes=answer_within_minutes,
            time_zone=time_zone,
        )
    except ValueError as error:  # the request's own validation: the zone
        raise field_error("time_zone", "unknown time zone") from error


class StaffingController(Controller):
    path = "/api/v1/reports"
    tags = ["reports", "staffing"]
    guards = [signed_in, heads_and_admins]

    @get("/staffing", operation_id="staffingReport")
    async def staffing(
        self,
        user: User,
        client: RpcClient,
        weeks: Weeks = 8,
        service_level: ServiceLevel = 0.8,
        answer_within_minutes: AnswerWithin = None,
        time_zone: str | None = None,
    ) -> StaffingReport:
        """Per hour of the week over the last `weeks` weeks: arrivals, handle time,
        agents online, agents needed by Erlang C for `service_level` of first responses
        within `answer_within_minutes` (default: the median response target), the gap,
        and the hours most under-staffed first. Hours are read in `time_zone` (default:
        the zone of the desk's first business calendar)."""
        return await _report(client, weeks, service_level, answer_within_minutes, time_zone)

    @get("/staffing.csv", operation_id="staffingReportCsv", media_type="text/csv; charset=utf-8")
    async def staffing_csv(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        weeks: Weeks = 8,
        service_level: ServiceLevel = 0.8,
        answer_within_minutes: AnswerWithin = None,
        time_zone: str | None = None,
    ) -> Response[str]:
        """The same report as CSV, one row per hour of the week, headed in the reader's
        language (the portal's switch, else their own, else the browser's)."""
        report = await _report(client, weeks, service_level, answer_within_minutes, time_zone)
        t = reader_translator(request, user)
        return Response(
            staffing_csv(report, t, [t(day) for day in WEEKDAYS]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="staffing.csv"'},
        )

    @get("/waiting-clients", operation_id="waitingClients")
    async def waiting(
        self,
        user: User,
        client: RpcClient,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> WaitingClients:
        """Incidents whose client has waited longer than the response target for a
        public answer, assigned or not, the longest wait first (SPEC §15)."""
        return await waiting_clients(client, limit)
