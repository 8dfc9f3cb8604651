"""The channel statistics (SPEC §12) as the heads read them: sla's rows per channel
and client segment, organizations named, and the CSV in the reader's language."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts.enums import Role
from desk_contracts.messages import ChannelReport, ChannelReportView
from desk_runtime.rpc import RpcClient
from pydantic import BaseModel

from .service import CHANNEL_NAMES, Translate

# Who reads the channel statistics: those who shape packages and staff the desk.
READERS = frozenset({Role.MANAGER, Role.HEAD, Role.ADMIN})


class ChannelRow(BaseModel):
    channel: str
    channel_name: str
    segment: str
    segment_name: str
    requests: int
    share: float
    over_quota: int
    response_median_seconds: float | None
    resolution_median_seconds: float | None
    breach_rate: float
    complaints: int = 0
    satisfaction_average: float | None = None
    satisfaction_count: int = 0


class ChannelStatistics(BaseModel):
    segment_by: str
    since: datetime | None
    until: datetime | None
    rows: list[ChannelRow]


async def organization_names(pool: asyncpg.Pool, ids: list[str]) -> dict[str, str]:
    wanted = []
    for raw in ids:
        try:
            wanted.append(UUID(raw))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = await pool.fetch("SELECT id, name FROM organizations WHERE id = ANY($1::uuid[])", wanted)
    return {str(row["id"]): row["name"] for row in rows}


async def channel_statistics(
    client: RpcClient,
    pool: asyncpg.Pool,
    t: Translate,
    *,
    since: datetime | None,
    until: datetime | None,
    segment_by: str,
) -> ChannelStatistics:
    view = await client.ask_as(
        ChannelReport(since=since, until=until, segment_by=segment_by), ChannelReportView
    )
    names = (
        await organization_names(pool, [row.segment for row in view.rows])
        if segment_by == "organization"
        else {"all": t("all clients")}
    )
    return ChannelStatistics(
        segment_by=view.segment_by,
        since=view.since,
        until=view.until,
        rows=[
            ChannelRow(
                channel=row.channel.value,
                channel_name=t(CHANNEL_NAMES[row.channel]),
                segment=row.segment,
                segment_name=names.get(row.segment, row.segment),
                requests=row.requests,
                share=row.share,
                over_quota=row.over_quota,
                response_median_seconds=row.response_median_seconds,
                resolution_median_seconds=row.resolution_median_seconds,
                breach_rate=row.breach_rate,
                complaints=row.complaints,
                satisfaction_average=row.satisfaction_average,
                satisfaction_count=row.satisfaction_count,
            )
            for row in view.rows
        ],
    )


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def statistics_csv(report: ChannelStatistics, t: Translate) -> str:
    """One row per channel and segment, headed in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t("Client group"),
            t("Channel"),
            t("Requests"),
            t("Share"),
            t("Over quota"),
            t("First response, median minutes"),
            t("Resolution, median minutes"),
            t("Breach rate"),
            t("Complaints"),
            t("Satisfaction, mean of 5"),
            t("Ratings"),
        ]
    )
    for row in report.rows:
        writer.writerow(
            [
                row.segment_name,
                row.channel_name,
                row.requests,
                f"{row.share:.4f}",
                row.over_quota,
                _minutes(row.response_median_seconds),
                _minutes(row.resolution_median_seconds),
                f"{row.breach_rate:.4f}",
                row.complaints,
                "" if row.satisfaction_average is None else f"{row.satisfaction_average:.2f}",
                row.satisfaction_count,
            ]
        )
    return out.getvalue()
