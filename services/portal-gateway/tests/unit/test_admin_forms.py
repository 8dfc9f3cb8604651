"""Pure parsing behind the admin forms: durations, target rows, working hours, calendars
and the mapping of the services' field names to the forms'."""

from __future__ import annotations

import re
from datetime import date

import pytest
from desk_contracts.enums import Priority
from desk_contracts.messages import TargetSpec
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.domain.accounts.schemas import NewUser
from portal_gateway.web.admin_forms import (
    SPARE_TARGET_ROWS,
    calendar_field,
    contract_field,
    format_duration,
    parse_calendar,
    parse_duration,
    parse_spans,
    parse_targets,
    target_rows,
    validate_form,
)
from portal_gateway.web.i18n import translator

EN = translator("en")
RU = translator("ru")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("8h", 28800),
        ("1d 4h 30m", 102600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("1,5h", 5400),
        ("90s", 90),
        ("45 min", 2700),
        ("2д 3ч", 2 * 86400 + 3 * 3600),
        (" 8H ", 28800),
    ],
)
def test_durations_people_write(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "8", "soon", "8h soon", "h8", "-1h", "1x"])
def test_durations_without_a_unit_or_number_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(text) if text else "empty"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10 * 365 * 86400))
def test_a_formatted_duration_reads_back_the_same(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_target_rows_round_trip_through_the_form() -> None:
    targets = [
        TargetSpec(response_seconds=28800, resolution_seconds=259200, reminder_share=0.75),
        TargetSpec(
            category_path=("fault", "hardware"),
            priority=Priority.HIGH,
            response_seconds=1800,
            resolution_seconds=86400,
            reminder_before_seconds=3600,
        ),
    ]
    rows = target_rows(targets)
    assert len(rows) == len(targets) + SPARE_TARGET_ROWS
    assert rows[1] == {
        "category": "fault/hardware",
        "priority": "high",
        "response": "30m",
        "resolution": "1d",
        "reminder": "1h",
    }
    form = {"rows": str(len(rows))}
    for index, row in enumerate(rows):
        form.update({f"t{index}_{key}": value for key, value in row.items()})
    typed, parsed, origin, errors = parse_targets(form, EN)
    assert errors == {}
    assert parsed == targets
    assert origin == [0, 1]
    assert typed == rows


def test_bad_target_cells_are_named_and_the_row_is_kept_as_typed() -> None:
    form = {
        "rows": "4",
        "t0_response": "8h",
        "t0_resolution": "soon",
        "t1_category": "fault",
        "t2_response": "1h",
        "t2_resolution": "2h",
        "t2_reminder": "150%",
        "t3_response": "0m",
        "t3_resolution": "1h",
        "t3_reminder": "often",
    }
    rows, targets, _, errors = parse_targets(form, EN)
    assert targets == []
    assert rows[0]["resolution"] == "soon"
    assert errors == {
        "t0_resolution": "A duration like 30m, 8h or 2d.",
        "t1_response": "Give the response and resolution times.",
        "t2_reminder": "The share must be between 0% and 100%.",
        "t3_reminder": "A share like 75% or a lead like 2h.",
    }
    # A zero target is refused once its reminder is readable.
    form["t3_reminder"] = ""
    _, _, _, errors = parse_targets(form, RU)
    assert errors["t3_response"] == "Больше нуля и не больше десяти лет."


def test_sla_field_names_map_to_the_rows_they_came_from() -> None:
    origin = [0, 4]  # rules came from rows 0 and 4 (rows 1-3 were blank)
    assert contract_field("contract.targets.1", origin) == "t4_category"
    assert contract_field("contract.targets", origin) == "targets"
    assert contract_field("contract.calendar_id", origin) == "calendar_id"
    assert contract_field("contract.escalation", origin) is None
    assert calendar_field("calendar.weekly_hours.3") == "hours_3"
    assert calendar_field("calendar.time_zone") == "time_zone"
    assert calendar_field("calendar") is None


def test_working_hours() -> None:
    assert parse_spans("9:00-13:00, 14:00 – 18:00") == (("09:00", "13:00"), ("14:00", "18:00"))
    assert parse_spans("00:00-24:00") == (("00:00", "24:00"),)
    assert parse_spans("") == ()
    for bad in ("9-18", "18:00-09:00", "09:00-09:00", "24:00-24:00", "09:60-10:00", "09:00"):
        with pytest.raises(ValueError, match=re.escape(bad)):
            parse_spans(bad)


def _calendar_form(**changes: str) -> dict[str, str]:
    form = {"name": "Moscow office", "time_zone": "Europe/Moscow", "holidays": ""}
    form.update({f"hours_{d}": "09:00-18:00" if d < 5 else "" for d in range(7)})
    form.update(changes)
    return form


def test_a_calendar_form_becomes_a_spec() -> None:
    values, spec, errors = parse_calendar(
        _calendar_form(hours_4="09:00-13:00,14:00-17:00", holidays="2027-01-01\n2027-01-07"), EN
    )
    assert errors == {}
    assert spec is not None
    assert spec.weekly_hours[4] == (("09:00", "13:00"), ("14:00", "17:00"))
    assert 5 not in spec.weekly_hours
    assert spec.holidays == (date(2027, 1, 1), date(2027, 1, 7))
    assert values["hours_4"] == "09:00-13:00,14:00-17:00"


def test_calendar_mistakes_are_named_per_field() -> None:
    _, spec, errors = parse_calendar(
        _calendar_form(name="", time_zone="Mars/Olympus", hours_2="9-18", holidays="2027-13-01"),
        EN,
    )
    assert spec is None
    assert errors == {
        "name": "This field is required.",
        "time_zone": "Unknown time zone; pick one from the list, e.g. Europe/Moscow.",
        "hours_2": "Not working hours: 9-18. Write e.g. 09:00-13:00, 14:00-18:00.",
        "holidays": "Not a date: 2027-13-01. Write dates as YYYY-MM-DD.",
    }
    _, _, errors = parse_calendar(_calendar_form(always_open="1"), EN)
    assert set(errors) == {"always_open"}
    empty = {f"hours_{d}": "" for d in range(7)}
    _, _, errors = parse_calendar(_calendar_form(**empty), RU)
    assert errors == {
        "hours_0": "Укажите рабочие часы хотя бы для одного дня или отметьте «Круглосуточно»."
    }
    _, spec, errors = parse_calendar(_calendar_form(always_open="1", **empty), EN)
    assert errors == {}
    assert spec is not None
    assert spec.always_open


def test_user_fields_get_readable_messages() -> None:
    data = {
        "username": "ivan initech",
        "password": "short",
        "display_name": "",
        "email": "ivan-at-initech",
        "role": "client",
    }
    body, errors = validate_form(NewUser, data, EN)
    assert body is None
    assert errors == {
        "username": "Letters, digits and . _ @ - only.",
        "password": "At least 12 characters.",
        "display_name": "This field is required.",
        "email": "Not an e-mail address.",
    }
    _, errors = validate_form(NewUser, data, RU)
    assert errors["display_name"] == "Обязательное поле."
