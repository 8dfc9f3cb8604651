"""The term rules of a device (SPEC §13), pure: whether it is under warranty or a
service contract on a day, when its maintenance falls due, which notices it is due and
on which day each goes out, and what is wrong with a row of an imported list."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from desk_contracts.messages import (
    EQUIPMENT_FIELDS,
    EquipmentTerms,
    LeadTimes,
    RowRejection,
)
from pydantic import ValidationError

# --- dates ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the month lacks becomes its last (31 January
    plus one month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def covered(until: date | None, on: date) -> bool:
    """Under a term that runs until `until` (inclusive) on the day `on`."""
    return until is not None and on <= until


def maintenance_dates(base: date, interval_months: int, today: date, count: int) -> list[date]:
    """The next `count` maintenance due dates on or after `today`: `base` plus whole
    intervals (each counted from `base`, so a month end stays a month end)."""
    if interval_months < 1:
        raise ValueError("the interval is at least one month")
    # Jump close to today, then walk: k intervals from base, k >= 1.
    months_between = (today.year - base.year) * 12 + today.month - base.month
    k = max(1, months_between // interval_months - 1)
    found: list[date] = []
    while len(found) < count:
        due = add_months(base, k * interval_months)
        if due >= today:
            found.append(due)
        k += 1
    return found


def maintenance_base(terms: EquipmentTerms) -> date | None:
    """What the interval is counted from: the last maintenance, else the installation."""
    return terms.last_maintenance_on or terms.installed_on


def next_maintenance(terms: EquipmentTerms, today: date) -> date | None:
    base = maintenance_base(terms)
    if base is None or terms.maintenance_interval_months is None:
        return None
    return maintenance_dates(base, terms.maintenance_interval_months, today, 1)[0]


# --- notices ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class PlannedNotice:
    """A notice a device is due: of `kind` about `due_on`, going out on `notify_on`."""

    kind: str
    due_on: date
    notify_on: date

    @property
    def timer_kind(self) -> str:
        """One timer per kind and due date: a fired one never fires again."""
        return f"{self.kind}:{self.due_on.isoformat()}"


def default_lead_times(organization_id: object) -> LeadTimes:
    return LeadTimes.model_validate({"organization_id": organization_id})


def plan_notices(terms: EquipmentTerms, lead: LeadTimes, today: date) -> list[PlannedNotice]:
    """The notices still to come: a term that has not ended yet (its end on or after
    `today`) and the next two maintenances (the second is armed while the first is
    pending, so a fired maintenance notice always has a successor). A notice whose day
    has passed while its due date has not goes out at once (its timer is due)."""
    planned: list[PlannedNotice] = []
    for kind, until, days in (
        ("warranty_end", terms.warranty_until, lead.warranty_days),
        ("contract_end", terms.service_contract_until, lead.contract_days),
    ):
        if until is not None and until >= today:
            planned.append(PlannedNotice(kind, until, date.fromordinal(until.toordinal() - days)))
    base = maintenance_base(terms)
    if base is not None and terms.maintenance_interval_months is not None:
        for due in maintenance_dates(base, terms.maintenance_interval_months, today, 2):
            notify_on = date.fromordinal(due.toordinal() - lead.maintenance_days)
            planned.append(PlannedNotice("maintenance_due", due, notify_on))
    return sorted(planned)


def days_left(due_on: date, on: date) -> int:
    return due_on.toordinal() - on.toordinal()


# --- checks -----------------------------------------------------------------------------


def term_problem(terms: EquipmentTerms) -> tuple[str, str] | None:
    """The first inconsistency among a device's dates, as (field, reason)."""
    installed = terms.installed_on
    if installed is None:
        return None
    for name in ("warranty_until", "service_contract_until", "last_maintenance_on"):
        value = getattr(terms, name)
        if value is not None and value < installed:
            return name, "must not be before the installation date"
    return None


# Columns of an imported list: the device's fields, named as in the API.
IMPORT_COLUMNS = EQUIPMENT_FIELDS
REQUIRED_COLUMNS = ("model", "manufacturer", "serial_number")


def _reason(kind: str, message: str) -> tuple[str, dict[str, str]]:
    """A validation problem as a phrase the edge translates, with its values."""
    if kind.startswith("date"):
        return "not a date (write YYYY-MM-DD)", {}
    if kind.startswith("int"):
        return "not a whole number", {}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "out of range", {}
    if kind == "string_too_long":
        return "too long", {}
    if kind == "string_too_short" or "blank" in message:
        return "is required", {}
    if "between the years" in message:
        return "must lie between the years 1970 and 2200", {}
    return "invalid value", {}


def parse_row(line: int, cells: Mapping[str, str]) -> EquipmentTerms | RowRejection:
    """A row's cells (text, by column) as a device's terms, or the first thing wrong
    with them. Empty cells are absent values."""
    values = {
        name: cell.strip()
        for name, cell in cells.items()
        if name in IMPORT_COLUMNS and cell.strip()
    }
    for name in REQUIRED_COLUMNS:
        if name not in values:
            return RowRejection(line=line, field=name, reason="is required")
    try:
        terms = EquipmentTerms.model_validate(values)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        field = str(problem["loc"][0]) if problem["loc"] else "row"
        reason, params = _reason(problem["type"], problem["msg"])
        return RowRejection(line=line, field=field, reason=reason, values=params)
    wrong = term_problem(terms)
    if wrong is not None:
        return RowRejection(line=line, field=wrong[0], reason=wrong[1])
    return terms


def serial_key(manufacturer: str, serial_number: str) -> tuple[str, str]:
    """What makes a device unique: its manufacturer (case-blind) and serial number."""
    return manufacturer.strip().lower(), serial_number.strip().upper()


# --- scope ------------------------------------------------------------------------------


def can_see(role_is_staff: bool, principal_organization: object, organization_id: object) -> bool:
    """Staff see every organization's equipment; a client only its own organization's
    (whatever its incident scope: devices belong to the organization)."""
    return role_is_staff or (
        principal_organization is not None and principal_organization == organization_id
    )
