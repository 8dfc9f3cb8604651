"""Contracts and calendars: rows in, pure domain objects and admin views out, and the
admin's changes validated (a 422 naming the field) before `store/contracts.py` saves
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import Channel, Priority, QuotaPolicy
from desk_contracts.messages import (
    CalendarSpec,
    CalendarView,
    ChannelTermsSpec,
    ContractSpec,
    ContractView,
    EscalationStepSpec,
    QuotaSpec,
    SeedPackage,
    TargetSpec,
)
from desk_runtime.errors import Invalid, NotFound

from .domain import END_OF_DAY, CalendarError, TargetRule, WorkingCalendar
from .domain.ladder import DEFAULT_LADDER, EscalationStep
from .domain.quotas import ChannelTerm
from .store import contracts as store


@dataclass(frozen=True)
class ContractVersion:
    contract_id: UUID
    version: int
    name: str
    calendar_name: str
    calendar: WorkingCalendar
    rules: tuple[TargetRule, ...]
    ladder: tuple[EscalationStep, ...] = DEFAULT_LADDER
    # The calendar as stored, copied onto each incident registered under this version.
    calendar_snapshot: dict[str, Any] | None = None
    # When the version was saved: it applies to incidents registered from then on.
    created_at: datetime | None = None
    # The package: its terms per support channel (SPEC §12), and the calendar a
    # channel's terms without one of their own keep.
    terms: tuple[ChannelTerm, ...] = ()
    calendar_id: UUID | None = None


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


def calendar_from_json(data: dict[str, Any]) -> WorkingCalendar:
    """A calendar from its stored form (a row of `calendars` or an incident's snapshot)."""
    if data["always_open"]:
        return WorkingCalendar.twenty_four_seven(data["time_zone"])
    weekly = {
        int(day): tuple((wall_time(start), wall_time(end)) for start, end in spans)
        for day, spans in data["weekly_hours"].items()
    }
    holidays = frozenset(
        day if isinstance(day, date) else date.fromisoformat(day) for day in data["holidays"]
    )
    return WorkingCalendar(time_zone=data["time_zone"], weekly_hours=weekly, holidays=holidays)


def calendar_from_row(row: asyncpg.Record) -> WorkingCalendar:
    return calendar_from_json(dict(row))


def calendar_snapshot(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "name": row["calendar_name"],
        "time_zone": row["time_zone"],
        "always_open": row["always_open"],
        "weekly_hours": row["weekly_hours"],
        "holidays": [day.isoformat() for day in row["holidays"]],
    }


def terms_from_row(row: asyncpg.Record) -> tuple[ChannelTerm, ...]:
    """The channel terms of a contract version; quotas of the older form count as
    terms with the policy `accept` where the channel terms do not name them."""
    terms = [
        ChannelTerm(
            channel=Channel(raw["channel"]),
            category_path=tuple(raw.get("category_path") or ()),
            included=raw.get("included", True),
            calendar_id=UUID(raw["calendar_id"]) if raw.get("calendar_id") else None,
            per_month=raw.get("per_month"),
            policy=QuotaPolicy(raw.get("policy", QuotaPolicy.ACCEPT)),
        )
        for raw in row["channels"]
    ]
    named = {(term.channel, term.category_path) for term in terms}
    for raw in row["quotas"]:
        term = ChannelTerm(
            channel=Channel(raw["channel"]),
            category_path=tuple(raw.get("category_path") or ()),
            per_month=raw["per_month"],
        )
        if (term.channel, term.category_path) not in named:
            terms.append(term)
    return tuple(terms)


def version_from_row(row: asyncpg.Record) -> ContractVersion:
    return ContractVersion(
        contract_id=row["id"],
        version=row["version"],
        name=row["name"],
        calendar_name=row["calendar_name"],
        calendar=calendar_from_row(row),
        rules=tuple(rule_from_json(raw) for raw in row["rules"]),
        ladder=tuple(EscalationStep.from_json(raw) for raw in row["escalation"]),
        calendar_snapshot=calendar_snapshot(row),
        created_at=row["created_at"],
        terms=terms_from_row(row),
        calendar_id=row["calendar_id"],
    )


def version_in_force(
    versions: tuple[ContractVersion, ...], registered_at: datetime
) -> ContractVersion:
    """The latest version saved by `registered_at` (SPEC §4: a change applies to incidents
    registered after it), whenever sla gets to handle the registration. An incident
    older than every version (history told after the fact) gets the first one."""
    if not versions:
        raise LookupError("the contract has no versions")
    saved = [v for v in versions if v.created_at is None or v.created_at <= registered_at]
    if saved:
        return max(saved, key=lambda v: v.version)
    return min(versions, key=lambda v: v.version)


async def contract_versions_for(
    conn: asyncpg.Connection, organization_id: UUID
) -> tuple[ContractVersion, ...]:
    """Every version of the organization's contract, else of the default one."""
    rows = await store.versions_for(conn, organization_id)
    if not rows:
        raise LookupError("no contract applies and no default contract exists")
    return tuple(version_from_row(row) for row in rows)


async def contract_version(
    conn: asyncpg.Connection | asyncpg.Pool, contract_id: UUID, version: int | None = None
) -> asyncpg.Record:
    row = await store.version(conn, contract_id, version)
    if row is None:
        raise NotFound("contract not found")
    return row


# --- calendars: admin ------------------------------------------------------------------


def validate_calendar(spec: CalendarSpec) -> WorkingCalendar:
    """The spec as a working calendar, or a 422 naming the field."""
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, spans in spec.weekly_hours.items():
        if not 0 <= day <= 6:
            raise Invalid.field("calendar.weekly_hours", f"weekday {day} is not 0 (Mon)..6 (Sun)")
        try:
            weekly[day] = tuple((wall_time(start), wall_time(end)) for start, end in spans)
        except ValueError:
            raise Invalid.field(
                f"calendar.weekly_hours.{day}", "times must look like HH:MM (24:00 = midnight)"
            ) from None
    try:
        if spec.always_open:
            if weekly or spec.holidays:
                raise CalendarError("weekly_hours and holidays must be empty for a 24/7 calendar")
            return WorkingCalendar.twenty_four_seven(spec.time_zone)
        return WorkingCalendar(
            time_zone=spec.time_zone, weekly_hours=weekly, holidays=frozenset(spec.holidays)
        )
    except CalendarError as error:
        text = str(error)
        field = next(
            (
                f"calendar.{name}"
                for name in ("time_zone", "weekly_hours", "holidays", "always_open")
                if name in text
            ),
            "calendar",
        )
        raise Invalid.field(field, text) from None


def calendar_view(row: asyncpg.Record) -> CalendarView:
    calendar = calendar_from_row(row)
    return CalendarView(
        calendar_id=row["id"],
        name=row["name"],
        time_zone=row["time_zone"],
        always_open=row["always_open"],
        weekly_hours={int(d): tuple(tuple(s) for s in v) for d, v in row["weekly_hours"].items()},
        holidays=tuple(sorted(row["holidays"])),
        business_day_seconds=calendar.business_day().total_seconds(),
        updated_at=row["updated_at"],
    )


def _calendar_values(spec: CalendarSpec) -> dict[str, Any]:
    """The spec as stored, once validated (a 422 naming the field otherwise)."""
    validate_calendar(spec)
    weekly = {
        str(day): [list(span) for span in spans]
        for day, spans in spec.weekly_hours.items()
        if spans
    }
    return {
        "name": spec.name,
        "time_zone": spec.time_zone,
        "always_open": spec.always_open,
        "weekly_hours": weekly,
        "holidays": sorted(set(spec.holidays)),
    }


async def save_calendar(
    conn: asyncpg.Connection, calendar_id: UUID | None, spec: CalendarSpec
) -> CalendarView:
    row = await store.save_calendar(conn, calendar_id, _calendar_values(spec))
    if row is None:
        raise NotFound("calendar not found")
    return calendar_view(row)


# --- contracts: admin ------------------------------------------------------------------


def target_spec(raw: dict[str, Any]) -> TargetSpec:
    return TargetSpec(
        category_path=tuple(raw.get("category_path") or ()),
        priority=raw.get("priority"),
        response_seconds=raw["response_seconds"],
        resolution_seconds=raw["resolution_seconds"],
        reminder_before_seconds=raw.get("reminder_before_seconds"),
        reminder_share=raw.get("reminder_share"),
    )


def contract_view(row: asyncpg.Record) -> ContractView:
    return ContractView(
        contract_id=row["id"],
        version=row["version"],
        name=row["name"],
        calendar_id=row["calendar_id"],
        calendar_name=row["calendar_name"],
        targets=tuple(target_spec(raw) for raw in row["rules"]),
        escalation=tuple(
            EscalationStepSpec.model_validate(EscalationStep.from_json(raw).to_json())
            for raw in row["escalation"]
        ),
        quotas=tuple(QuotaSpec.model_validate(raw) for raw in row["quotas"]),
        is_default=row["is_default"],
        created_at=row["created_at"],
        channels=tuple(ChannelTermsSpec.model_validate(raw) for raw in row["channels"]),
    )


def _validated_rules(spec: ContractSpec) -> list[dict[str, Any]]:
    rules = []
    for index, target in enumerate(spec.targets):
        try:
            TargetRule(
                category_path=target.category_path,
                priority=target.priority,
                response=timedelta(seconds=target.response_seconds),
                resolution=timedelta(seconds=target.resolution_seconds),
                reminder_before=timedelta(seconds=target.reminder_before_seconds)
                if target.reminder_before_seconds is not None
                else None,
                reminder_share=target.reminder_share,
            )
        except ValueError as error:
            raise Invalid.field(f"contract.targets.{index}", str(error)) from None
        rules.append(target.model_dump(mode="json"))
    keys = [(tuple(t.category_path), t.priority) for t in spec.targets]
    if len(set(keys)) != len(keys):
        raise Invalid.field("contract.targets", "two targets name the same category and priority")
    if not any(not t.category_path and t.priority is None for t in spec.targets):
        # Without a catch-all an incident could match nothing and get no deadlines.
        raise Invalid.field(
            "contract.targets", "a default target (no category, any priority) is required"
        )
    return rules


def _validated_ladder(spec: ContractSpec) -> list[dict[str, Any]]:
    if spec.escalation is None:
        return [step.to_json() for step in DEFAULT_LADDER]
    ladder = []
    for index, raw in enumerate(spec.escalation):
        if (raw.after_seconds is None) == (raw.after_business_days is None):
            raise Invalid.field(
                f"contract.escalation.{index}",
                "give exactly one of after_seconds or after_business_days",
            )
        step = EscalationStep.from_json(raw.model_dump(mode="json"))
        ladder.append(step.to_json())
    kinds = [
        EscalationStep.from_json(raw).timer_kind for raw in ladder
    ]  # one timer per (level, audience)
    if len(set(kinds)) != len(kinds):
        raise Invalid.field("contract.escalation", "two steps share a level and an audience")
    return ladder


async def _validated_channels(conn: asyncpg.Connection, spec: ContractSpec) -> list[dict[str, Any]]:
    """The package's channel terms, or a 422 naming the field."""
    seen: set[tuple[Channel, tuple[str, ...]]] = set()
    for index, terms in enumerate(spec.channels):
        key = (terms.channel, tuple(terms.category_path))
        if key in seen:
            raise Invalid.field(
                f"contract.channels.{index}",
                "two terms name the same channel and category",
            )
        seen.add(key)
        if not terms.included and terms.per_month is not None:
            raise Invalid.field(
                f"contract.channels.{index}.per_month", "a channel not included has no quota"
            )
        if terms.calendar_id is not None and not await store.calendar_exists(
            conn, terms.calendar_id
        ):
            raise Invalid.field(f"contract.channels.{index}.calendar_id", "no such calendar")
    return [terms.model_dump(mode="json") for terms in spec.channels]


async def _version_values(conn: asyncpg.Connection, spec: ContractSpec) -> dict[str, Any]:
    """The spec as a stored version, once validated (a 422 naming the field otherwise)."""
    rules = _validated_rules(spec)
    ladder = _validated_ladder(spec)
    if not await store.calendar_exists(conn, spec.calendar_id):
        raise Invalid.field("contract.calendar_id", "no such calendar")
    return {
        "name": spec.name,
        "calendar_id": spec.calendar_id,
        "rules": rules,
        "escalation": ladder,
        "quotas": [quota.model_dump(mode="json") for quota in spec.quotas],
        "channels": await _validated_channels(conn, spec),
        "is_default": spec.is_default,
    }


async def save_contract(
    conn: asyncpg.Connection, contract_id: UUID | None, spec: ContractSpec
) -> ContractView:
    values = await _version_values(conn, spec)
    if contract_id is None:
        contract_id, version = uuid4(), 1
    else:
        next_version = await store.next_version(conn, contract_id)
        if next_version is None:
            raise NotFound("contract not found")
        version = next_version
    await store.add_version(conn, contract_id, version, values)
    return contract_view(await contract_version(conn, contract_id, version))


async def seed_package(conn: asyncpg.Connection, command: SeedPackage) -> bool:
    """The demo's package under its fixed ids: the calendars and the contract that are
    missing are created; nothing that exists is changed. True if the contract was."""
    for seeded in command.calendars:
        await store.insert_calendar(conn, seeded.calendar_id, _calendar_values(seeded.calendar))
    if await store.next_version(conn, command.contract_id) is not None:
        return False
    values = await _version_values(conn, command.contract)
    await store.add_version(conn, command.contract_id, 1, values)
    return True
