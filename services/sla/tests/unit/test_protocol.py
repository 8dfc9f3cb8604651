"""Protocol steps: neutral params, rendering in both locales and any time zone."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from desk_contracts.enums import Locale, Priority
from hypothesis import given, settings
from hypothesis import strategies as st
from sla.domain import (
    DeadlineInput,
    Deadlines,
    Pause,
    ProtocolStep,
    TargetRule,
    WorkingCalendar,
    compute_deadlines,
    format_duration,
    format_instant,
    iso_duration,
    iso_instant,
    parse_iso_duration,
    render_protocol,
    render_step,
)

MSK = ZoneInfo("Europe/Moscow")
H = timedelta(hours=1)
ALL_CODES = {
    "contract",
    "rule",
    "calendar",
    "registered",
    "pause",
    "pause_ignored",
    "provisional",
    "paused_total",
    "response_due",
    "resolution_due",
    "response_reminder",
    "reminder",
}


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=MSK)


def full_computation(rule: TargetRule | None = None) -> Deadlines:
    """A computation that produces every step code."""
    calendar = WorkingCalendar(
        "Europe/Moscow",
        {
            **{d: ((time(9), time(13)), (time(14), time(18))) for d in range(5)},
            5: ((time(10), time(14)),),
        },
        holidays=frozenset({date(2026, 3, 10)}),
    )
    return compute_deadlines(
        DeadlineInput(
            registered_at=msk(9, 9),
            calendar=calendar,
            calendar_name="Moscow office",
            rule=rule
            or TargetRule(
                ("fault", "software"), Priority.CRITICAL, 2 * H, 16 * H, reminder_share=0.75
            ),
            contract_name="Premium",
            contract_version=7,
            category_path=("fault", "software", "crash"),
            priority=Priority.CRITICAL,
            pauses=(
                Pause(msk(6, 10), msk(6, 11)),  # before registration
                Pause(msk(9, 10), msk(9, 11)),
                Pause(msk(11, 15), None),  # open
            ),
            now=msk(11, 16, 30),
        )
    )


def test_a_full_computation_has_every_code() -> None:
    assert {step.code for step in full_computation().steps} == ALL_CODES


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("zone", ["Europe/Moscow", "UTC", "America/New_York"])
def test_every_step_renders_in_both_locales(locale: Locale, zone: str) -> None:
    result = full_computation()
    lines = render_protocol(result.steps, locale, zone)
    assert len(lines) == len(result.steps)
    assert all(line and "?" not in line for line in lines)
    due_line = lines[[s.code for s in result.steps].index("resolution_due")]
    assert format_instant(result.resolution_due, zone) in due_line


def test_due_instant_is_shown_in_the_requested_zone() -> None:
    result = full_computation()
    due = result.response_due
    assert due == msk(9, 12)
    step = next(s for s in result.steps if s.code == "response_due")
    assert "2026-03-09 12:00 UTC+03:00" in render_step(step, Locale.EN, "Europe/Moscow")
    assert "2026-03-09 09:00 UTC" in render_step(step, Locale.RU, "UTC")
    assert "2026-03-09 05:00 UTC-04:00" in render_step(step, Locale.EN, "America/New_York")


def test_english_and_russian_sentences() -> None:
    steps = full_computation().steps
    en = render_protocol(steps, Locale.EN, "Europe/Moscow")
    ru = render_protocol(steps, Locale.RU, "Europe/Moscow")
    assert en[0] == 'Contract "Premium", version 7.'
    assert ru[0] == "Договор «Premium», версия 7."
    assert "Mon–Fri 09:00–13:00, 14:00–18:00; Sat 10:00–14:00" in en[2]
    assert "Пн–Пт 09:00–13:00, 14:00–18:00; Сб 10:00–14:00" in ru[2]
    assert "2026-03-10" in en[2]  # the holiday that applied
    assert "priority critical" in en[1]
    assert "приоритет критический" in ru[1]
    assert "75 %" in en[1]
    resolution = next(i for i, s in enumerate(steps) if s.code == "resolution_due")
    # Mon 7 h (10-11 paused), Tue holiday, Wed 6.5 h (15:00-16:30 paused), Thu 2.5 h.
    assert "+ 16 h of business time + 2 h 30 min paused = 2026-03-12 11:30" in en[resolution]
    assert "+ 16 ч рабочего времени + 2 ч 30 мин паузы = 2026-03-12 11:30" in ru[resolution]
    assert any("provisional" in line for line in en)
    assert any("предварительные" in line for line in ru)


def test_default_rule_and_any_priority_are_named() -> None:
    steps = full_computation(TargetRule((), None, H, 8 * H, reminder_before=H)).steps
    rule = next(s for s in steps if s.code == "rule")
    assert rule.params["category"] == ""
    assert rule.params["priority"] == "any"
    en = render_step(rule, Locale.EN, "UTC")
    ru = render_step(rule, Locale.RU, "UTC")
    assert "contract default" in en
    assert "priority any" in en
    assert "reminder 1 h before the due time" in en
    assert "по умолчанию" in ru
    assert "приоритет любой" in ru
    reminder = next(s for s in steps if s.code == "response_reminder")
    assert "at registration" in render_step(reminder, Locale.EN, "UTC")


def test_params_are_strings_and_json_serialisable() -> None:
    steps = full_computation().steps
    for step in steps:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in step.params.items())
    payload = json.dumps([s.as_dict() for s in steps], ensure_ascii=False)
    restored = tuple(ProtocolStep.from_dict(d) for d in json.loads(payload))
    assert restored == steps


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("code", sorted(ALL_CODES))
def test_steps_with_missing_params_still_render(code: str, locale: Locale) -> None:
    text = render_step(ProtocolStep(code, {}), locale, "Europe/Moscow")
    assert "?" in text


@pytest.mark.parametrize("locale", list(Locale))
def test_malformed_params_render_raw(locale: Locale) -> None:
    step = ProtocolStep("registered", {"at": "yesterday"})
    assert "yesterday" in render_step(step, locale, "UTC")


def test_unknown_code_renders_generically() -> None:
    step = ProtocolStep("future_thing", {"b": "2", "a": "1"})
    assert render_step(step, Locale.RU, "UTC") == "future_thing: a=1, b=2"
    assert render_step(ProtocolStep("bare"), Locale.EN, "UTC") == "bare"


def test_bad_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        render_step(ProtocolStep("contract", {}), Locale.EN, "Mars/Olympus")


def test_step_rejects_non_string_params() -> None:
    with pytest.raises(ValueError, match="str"):
        ProtocolStep("contract", {"version": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="code"):
        ProtocolStep("", {})


def test_steps_and_results_pickle_and_copy() -> None:
    result = full_computation()
    assert pickle.loads(pickle.dumps(result)) == result
    assert copy.deepcopy(result) == result


def test_step_params_are_read_only() -> None:
    source = {"name": "x"}
    step = ProtocolStep("contract", source)
    source["name"] = "changed"
    assert step.params["name"] == "x"
    with pytest.raises(TypeError):
        step.params["name"] = "y"  # type: ignore[index]


# -- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "iso", "en", "ru"),
    [
        (timedelta(0), "PT0S", "0 min", "0 мин"),
        (9 * H, "PT9H", "9 h", "9 ч"),
        (timedelta(hours=33, minutes=30), "PT33H30M", "33 h 30 min", "33 ч 30 мин"),
        (timedelta(minutes=1, seconds=5), "PT1M5S", "1 min 5 s", "1 мин 5 с"),
        (timedelta(seconds=45, microseconds=500000), "PT45.5S", "45 s", "45 с"),
        (-H, "-PT1H", "-1 h", "-1 ч"),
    ],
)
def test_duration_formats(value: timedelta, iso: str, en: str, ru: str) -> None:
    assert iso_duration(value) == iso
    assert parse_iso_duration(iso) == value
    assert format_duration(value, Locale.EN) == en
    assert format_duration(value, Locale.RU) == ru


def test_parse_accepts_days_and_rejects_garbage() -> None:
    assert parse_iso_duration("P1DT2H") == timedelta(days=1, hours=2)
    for bad in ("", "P", "PT", "9h", "PT1.1234567S", "P1H"):
        with pytest.raises(ValueError, match="ISO 8601"):
            parse_iso_duration(bad)


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=-timedelta(days=999), max_value=timedelta(days=999)))
def test_iso_duration_round_trips(value: timedelta) -> None:
    assert parse_iso_duration(iso_duration(value)) == value


def test_instant_formats() -> None:
    instant = datetime(2026, 3, 9, 7, 0, 5, tzinfo=UTC)
    assert iso_instant(msk(9, 10)) == "2026-03-09T07:00:00+00:00"
    assert format_instant(instant, "Europe/Moscow") == "2026-03-09 10:00:05 UTC+03:00"
    assert format_instant(instant, "Asia/Kolkata") == "2026-03-09 12:30:05 UTC+05:30"
    with pytest.raises(ValueError, match="naive"):
        iso_instant(datetime(2026, 3, 9))
