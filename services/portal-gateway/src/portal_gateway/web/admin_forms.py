"""Pure parsing and formatting behind the admin forms: form fields in, typed specs and
per-field messages out (and back), with no I/O, so every rule is tested fast."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from desk_contracts.messages import CalendarSpec, CalendarView, ContractView, TargetSpec
from desk_runtime.errors import validation_items
from pydantic import BaseModel, ValidationError

Errors = dict[str, str]
# Blank target rows a contract form offers for new rules.
SPARE_TARGET_ROWS = 3

# Readable words for what a pattern says to a machine.
HINTS = {
    "username": "Letters, digits and . _ @ - only.",
    "password": "At least 12 characters.",
    "email": "Not an e-mail address.",
    "phone": "Digits, spaces and + ( ) - only.",
    "colour": "A colour like #1e88e5.",
    "code": "Lower-case letters, digits, - and _, starting with a letter or digit.",
}


def model_errors(error: ValidationError, data: Mapping[str, Any], t: Any) -> Errors:
    """Pydantic's complaints as one message per form field, in the reader's language."""
    errors: Errors = {}
    for item in validation_items(error):
        field = item.field.split(".")[0]
        if field in errors:
            continue
        if data.get(field) in (None, "", []):
            errors[field] = t("This field is required.")
        else:
            errors[field] = t(HINTS[field]) if field in HINTS else item.message
    return errors


def validate_form(model: type[BaseModel], data: dict[str, Any], t: Any) -> tuple[Any, Errors]:
    try:
        return model.model_validate(data), {}
    except ValidationError as error:
        return None, model_errors(error, data, t)


# --- durations and contract targets ------------------------------------------------

_UNITS = {
    "d": 86400,
    "д": 86400,
    "h": 3600,
    "ч": 3600,
    "m": 60,
    "min": 60,
    "м": 60,
    "мин": 60,
    "s": 1,
    "с": 1,
}
_PART = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(min|мин|[dhmsдчмс])\s*", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """`30m`, `8h`, `1d 4h`, `1.5h` (Russian units too) in seconds; ValueError otherwise."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty")
    seconds = 0.0
    position = 0
    for match in _PART.finditer(text):
        if match.start() != position:
            raise ValueError(text)
        seconds += float(match.group(1).replace(",", ".")) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text):
        raise ValueError(text)
    return seconds


def format_duration(seconds: float | None) -> str:
    """The inverse of `parse_duration` in whole units: `1d 4h 30m`."""
    if seconds is None:
        return ""
    rest = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts) or "0s"


def reminder_text(target: TargetSpec) -> str:
    if target.reminder_share is not None:
        return f"{target.reminder_share * 100:g}%"
    return format_duration(target.reminder_before_seconds)


def target_rows(targets: tuple[TargetSpec, ...] | list[TargetSpec]) -> list[dict[str, str]]:
    rows = [
        {
            "category": "/".join(t.category_path),
            "priority": t.priority.value if t.priority else "",
            "response": format_duration(t.response_seconds),
            "resolution": format_duration(t.resolution_seconds),
            "reminder": reminder_text(t),
        }
        for t in targets
    ]
    blank = {"category": "", "priority": "", "response": "", "resolution": "", "reminder": ""}
    return rows + [dict(blank) for _ in range(SPARE_TARGET_ROWS)]


def parse_targets(
    form: dict[str, str], t: Any
) -> tuple[list[dict[str, str]], list[TargetSpec], list[int], Errors]:
    """The table of targets: its rows as typed (to show again), the rules, the row of
    each rule, and errors keyed `t<row>_<column>`. A row left blank is no rule."""
    try:
        count = min(500, max(0, int(form.get("rows") or 0)))
    except ValueError:
        count = 0
    rows: list[dict[str, str]] = []
    targets: list[TargetSpec] = []
    origin: list[int] = []
    errors: Errors = {}
    for index in range(count):
        row = {
            key: form.get(f"t{index}_{key}", "").strip()
            for key in ("category", "priority", "response", "resolution", "reminder")
        }
        rows.append(row)
        if not (row["response"] or row["resolution"] or row["reminder"]):
            if row["category"] or row["priority"]:
                errors[f"t{index}_response"] = t("Give the response and resolution times.")
            continue
        spec: dict[str, Any] = {
            "category_path": [p for p in row["category"].split("/") if p],
            "priority": row["priority"] or None,
        }
        for key in ("response", "resolution"):
            try:
                spec[f"{key}_seconds"] = parse_duration(row[key])
            except ValueError:
                errors[f"t{index}_{key}"] = (
                    t("This field is required.")
                    if not row[key]
                    else t("A duration like 30m, 8h or 2d.")
                )
        reminder = row["reminder"]
        if reminder.endswith("%"):
            try:
                spec["reminder_share"] = float(reminder[:-1].replace(",", ".")) / 100
            except ValueError:
                errors[f"t{index}_reminder"] = t("A share like 75% or a lead like 2h.")
        elif reminder:
            try:
                spec["reminder_before_seconds"] = parse_duration(reminder)
            except ValueError:
                errors[f"t{index}_reminder"] = t("A share like 75% or a lead like 2h.")
        if any(key.startswith(f"t{index}_") for key in errors):
            continue
        try:
            targets.append(TargetSpec.model_validate(spec))
            origin.append(index)
        except ValidationError as error:
            for item in validation_items(error):
                column = {
                    "response_seconds": "response",
                    "resolution_seconds": "resolution",
                    "reminder_before_seconds": "reminder",
                    "reminder_share": "reminder",
                }.get(item.field.split(".")[0], "category")
                message = (
                    t("The share must be between 0% and 100%.")
                    if item.field == "reminder_share"
                    else t("Must be more than zero and at most ten years.")
                    if column in ("response", "resolution", "reminder")
                    else item.message
                )
                errors.setdefault(f"t{index}_{column}", message)
    return rows, targets, origin, errors


def contract_values(contract: ContractView | None) -> dict[str, Any]:
    if contract is None:
        return {"name": "", "calendar_id": "", "is_default": "", "rows": target_rows([])}
    return {
        "name": contract.name,
        "calendar_id": str(contract.calendar_id),
        "is_default": "1" if contract.is_default else "",
        "rows": target_rows(contract.targets),
    }


def contract_field(name: str, origin: list[int]) -> str | None:
    """sla's field names (`contract.targets.3.priority`) as the form's."""
    parts = name.split(".")
    if parts[0] == "contract":
        parts = parts[1:]
    if not parts:
        return None
    if parts[0] == "targets":
        if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(origin):
            return f"t{origin[int(parts[1])]}_category"
        return "targets"
    return parts[0] if parts[0] in ("name", "calendar_id") else None


# --- calendars -------------------------------------------------------------------------

_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})")


def parse_spans(text: str) -> tuple[tuple[str, str], ...]:
    """`09:00-13:00, 14:00-18:00` as windows ("24:00" = midnight); ValueError names the
    window that is not one."""
    spans = []
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        match = _SPAN.fullmatch(part)
        if match is None:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= 24 * 60 or end > 24 * 60 or end <= start:
            raise ValueError(part)
        spans.append((f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"))
    return tuple(spans)


def parse_calendar(
    form: dict[str, str], t: Any
) -> tuple[dict[str, str], CalendarSpec | None, Errors]:
    values = {k: form.get(k, "").strip() for k in ("name", "time_zone", "holidays")}
    values["always_open"] = "1" if form.get("always_open") == "1" else ""
    errors: Errors = {}
    weekly: dict[int, tuple[tuple[str, str], ...]] = {}
    for day in range(7):
        text = form.get(f"hours_{day}", "").strip()
        values[f"hours_{day}"] = text
        try:
            spans = parse_spans(text)
        except ValueError as error:
            errors[f"hours_{day}"] = t(
                "Not working hours: {value}. Write e.g. 09:00-13:00, 14:00-18:00.", value=str(error)
            )
            continue
        if spans:
            weekly[day] = spans
    holidays: list[date] = []
    for token in (p for p in re.split(r"[\s,;]+", values["holidays"]) if p):
        try:
            holidays.append(date.fromisoformat(token))
        except ValueError:
            errors.setdefault(
                "holidays", t("Not a date: {value}. Write dates as YYYY-MM-DD.", value=token)
            )
    if not values["name"]:
        errors["name"] = t("This field is required.")
    if not values["time_zone"]:
        errors["time_zone"] = t("This field is required.")
    else:
        try:
            ZoneInfo(values["time_zone"])
        except (ValueError, KeyError, OSError):
            errors["time_zone"] = t(
                "Unknown time zone; pick one from the list, e.g. Europe/Moscow."
            )
    if values["always_open"] and (weekly or holidays):
        errors["always_open"] = t(
            "A 24/7 calendar has no working hours or holidays: clear them or untick 24/7."
        )
    if not values["always_open"] and not weekly and not any(k.startswith("hours_") for k in errors):
        errors["hours_0"] = t("Give working hours for at least one day, or tick 24/7.")
    if errors:
        return values, None, errors
    try:
        spec = CalendarSpec(
            name=values["name"],
            time_zone=values["time_zone"],
            always_open=bool(values["always_open"]),
            weekly_hours=weekly,
            holidays=tuple(holidays),
        )
    except ValidationError as error:
        return values, None, model_errors(error, values, t)
    return values, spec, {}


def calendar_values(calendar: CalendarView | None) -> dict[str, str]:
    if calendar is None:
        values = {"name": "", "time_zone": "UTC", "always_open": "", "holidays": ""}
        values.update({f"hours_{d}": "09:00-18:00" if d < 5 else "" for d in range(7)})
        return values
    values = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "always_open": "1" if calendar.always_open else "",
        "holidays": "\n".join(d.isoformat() for d in calendar.holidays),
    }
    for day in range(7):
        spans = calendar.weekly_hours.get(day, ())
        values[f"hours_{day}"] = ", ".join(f"{start}-{end}" for start, end in spans)
    return values


def calendar_field(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] == "calendar":
        parts = parts[1:]
    if not parts:
        return None
    if parts[0] == "weekly_hours":
        return f"hours_{parts[1]}" if len(parts) > 1 and parts[1].isdigit() else "hours_0"
    return parts[0] if parts[0] in ("name", "time_zone", "holidays", "always_open") else None
