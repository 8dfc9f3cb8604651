"""What sla reports: the statistics over request/reply (also per channel and client
segment), and the armed timers /metrics counts."""

from __future__ import annotations

import asyncpg
from desk_contracts.enums import Channel
from desk_contracts.messages import (
    ChannelReport,
    ChannelReportRow,
    ChannelReportView,
    SlaReport,
    SlaReportRow,
    SlaReportView,
)
from desk_runtime.errors import Invalid
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service
from desk_runtime.timers import count_armed

from ..metrics import SLA_TIMERS_ARMED
from ..store import reports as store

handlers = Handlers()

# How often /metrics' count of armed timers is refreshed.
GAUGE_SECONDS = 5.0


def _report_row(key: str, row: asyncpg.Record) -> SlaReportRow:
    incidents = row["incidents"]
    return SlaReportRow(
        key=key,
        incidents=incidents,
        responded=row["responded"],
        resolved=row["resolved"],
        response_breaches=row["response_breaches"],
        resolution_breaches=row["resolution_breaches"],
        breached=row["breached"],
        breach_rate=round(row["breached"] / incidents, 4) if incidents else 0.0,
        response_median_seconds=row["response_median"],
        response_p90_seconds=row["response_p90"],
        resolution_median_seconds=row["resolution_median"],
        resolution_p90_seconds=row["resolution_p90"],
        client_delay_seconds=row["client_delay"],
        reopens=row["reopens"],
        response_target_median_seconds=row["response_target_median"],
        resolution_target_median_seconds=row["resolution_target_median"],
        satisfaction_average=_mean(row["satisfaction_average"]),
        satisfaction_count=row["satisfaction_count"],
    )


def _mean(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@handlers.answers(SlaReport)
async def answer_report(request: SlaReport, service: Service) -> SlaReportView:
    """Counts, breach rate, median and 90th percentile, client-caused delay."""
    if request.since and request.until and request.until <= request.since:
        raise Invalid.field("until", "must be after since")
    total, groups = await store.aggregate(service.pool, request)
    return SlaReportView(
        group_by=request.group_by,
        since=request.since,
        until=request.until,
        total=_report_row("all", total),
        groups=tuple(_report_row(str(row["key"]), row) for row in groups),
    )


@handlers.answers(ChannelReport)
async def answer_channel_report(request: ChannelReport, service: Service) -> ChannelReportView:
    """Which channels each client segment uses, and how well each channel works."""
    if request.since and request.until and request.until <= request.since:
        raise Invalid.field("until", "must be after since")
    rows = await store.by_channel(service.pool, request.since, request.until, request.segment_by)
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["segment"]] = totals.get(row["segment"], 0) + row["requests"]
    return ChannelReportView(
        segment_by=request.segment_by,
        since=request.since,
        until=request.until,
        rows=tuple(
            ChannelReportRow(
                channel=Channel(row["channel"]),
                segment=str(row["segment"]),
                requests=row["requests"],
                share=round(row["requests"] / totals[row["segment"]], 4),
                over_quota=row["over_quota"],
                response_median_seconds=row["response_median"],
                resolution_median_seconds=row["resolution_median"],
                breach_rate=round(row["breached"] / row["requests"], 4),
                complaints=row["complaints"],
                satisfaction_average=_mean(row["satisfaction_average"]),
                satisfaction_count=row["satisfaction_count"],
            )
            for row in rows
        ),
    )


@handlers.every(GAUGE_SECONDS)
async def count_armed_timers(service: Service) -> None:
    SLA_TIMERS_ARMED.set(await count_armed(service.pool))
