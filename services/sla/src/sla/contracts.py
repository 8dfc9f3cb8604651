"""Loading contracts and calendars from rows into the pure domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from desk_contracts.enums import Priority

from .domain import END_OF_DAY, TargetRule, WorkingCalendar


@dataclass(frozen=True)
class ContractVersion:
    contract_id: UUID
    version: int
    name: str
    calendar_name: str
    calendar: WorkingCalendar
    rules: tuple[TargetRule, ...]


def rule_from_json(raw: dict[str, Any]) -> TargetRule:
    before = raw.get("reminder_before_seconds")
    return TargetRule(
        category_path=tuple(raw.get("category_path") or ()),
        priority=Priority(raw["priority"]) if raw.get("priority") else None,
        response=timedelta(seconds=raw["response_seconds"]),
        resolution=timedelta(seconds=raw["resolution_seconds"]),
        reminder_before=timedelta(seconds=before) if before is not None else None,
        reminder_share=raw.get("reminder_share"),
    )


def wall_time(text: str) -> time:
    """ "HH:MM" as stored; "24:00" is the end of the day."""
    return END_OF_DAY if text == "24:00" else time.fromisoformat(text)


def calendar_from_row(row: asyncpg.Record) -> WorkingCalendar:
    if row["always_open"]:
        return WorkingCalendar.twenty_four_seven(row["time_zone"])
    weekly = {
        int(day): tuple((wall_time(start), wall_time(end)) for start, end in spans)
        for day, spans in row["weekly_hours"].items()
    }
    return WorkingCalendar(
        time_zone=row["time_zone"], weekly_hours=weekly, holidays=frozenset(row["holidays"])
    )


async def contract_for(conn: asyncpg.Connection, organization_id: UUID) -> ContractVersion:
    """The latest version of the organization's contract, else of the default one."""
    row = await conn.fetchrow(
        """
        SELECT c.*, cal.name AS calendar_name, cal.time_zone, cal.always_open,
               cal.weekly_hours, cal.holidays
        FROM contracts c JOIN calendars cal ON cal.id = c.calendar_id
        WHERE c.id = COALESCE(
            (SELECT contract_id FROM organization_contracts WHERE organization_id = $1),
            (SELECT id FROM contracts WHERE is_default ORDER BY created_at DESC LIMIT 1))
        ORDER BY c.version DESC LIMIT 1
        """,
        organization_id,
    )
    if row is None:
        raise LookupError("no contract applies and no default contract exists")
    return ContractVersion(
        contract_id=row["id"],
        version=row["version"],
        name=row["name"],
        calendar_name=row["calendar_name"],
        calendar=calendar_from_row(row),
        rules=tuple(rule_from_json(raw) for raw in row["rules"]),
    )
