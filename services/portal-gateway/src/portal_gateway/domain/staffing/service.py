"""The heads' staffing use cases: the report per hour of the week, its CSV, and the
clients waiting longer than their target. Routing owns the facts and the arithmetic."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from desk_contracts.enums import Role
from desk_contracts.messages import (
    CalendarList,
    GetStaffing,
    ListCalendars,
    ListWaitingClients,
    StaffingReport,
    WaitingClients,
)
from desk_runtime.rpc import RpcClient

# Who reads staffing: the heads who staff the desk, and admins.
READERS = frozenset({Role.HEAD, Role.ADMIN})
FALLBACK_ZONE = "UTC"


async def default_zone(client: RpcClient) -> str:
    """The hours of the week are read in the desk's first business calendar's zone."""
    calendars = await client.ask_as(ListCalendars(limit=1), CalendarList)
    return calendars.items[0].time_zone if calendars.items else FALLBACK_ZONE


async def staffing_report(
    client: RpcClient,
    *,
    weeks: int,
    service_level: float,
    answer_within_minutes: float | None,
    time_zone: str | None,
) -> StaffingReport:
    zone = time_zone or await default_zone(client)
    return await client.ask_as(
        GetStaffing(
            weeks=weeks,
            service_level=service_level,
            answer_within_minutes=answer_within_minutes,
            time_zone=zone,
        ),
        StaffingReport,
    )


async def waiting_clients(client: RpcClient, limit: int) -> WaitingClients:
    return await client.ask_as(ListWaitingClients(limit=limit), WaitingClients)


def staffing_csv(report: StaffingReport, t: Callable[[str], str], weekdays: list[str]) -> str:
    """One row per hour of the week, headed in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t("Weekday"),
            t("Hour"),
            t("Arrivals per hour"),
            t("Handle time, minutes"),
            t("Agents online"),
            t("Agents needed"),
            t("Gap"),
            t("First responses"),
            t("Within target"),
        ]
    )
    for h in report.hours:
        writer.writerow(
            [
                weekdays[h.weekday],
                f"{h.hour:02d}:00",
                f"{h.arrivals:.2f}",
                "" if h.handle_minutes is None else f"{h.handle_minutes:.1f}",
                f"{h.online:.2f}",
                "" if h.needed is None else h.needed,
                "" if h.gap is None else f"{h.gap:.2f}",
                h.responses,
                "" if h.responses_within_target is None else f"{h.responses_within_target:.2f}",
            ]
        )
    return out.getvalue()
