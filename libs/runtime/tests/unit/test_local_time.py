"""Times with their zone: which zone a person reads in, and one way of writing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk_runtime.local_time import local_time, offset_words, zone_for, zone_named

NOON_UTC = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_zone_is_an_iana_name() -> None:
    assert zone_named("Europe/Moscow") is not None
    for bad in ("", None, "Mars/Olympus", " Europe/Moscow", "../etc/passwd", "x" * 100):
        assert zone_named(bad) is None


def test_the_persons_own_zone_wins_then_the_organizations_then_the_desks() -> None:
    assert str(zone_for("Asia/Tokyo", "Europe/Moscow", "UTC")) == "Asia/Tokyo"
    assert str(zone_for(None, "Europe/Moscow", "UTC")) == "Europe/Moscow"
    assert str(zone_for("nowhere", None, "America/New_York")) == "America/New_York"
    assert str(zone_for(None, None, None)) == "UTC"


def test_a_time_carries_its_abbreviation_and_offset() -> None:
    assert local_time(NOON_UTC, zone_for("Europe/Moscow")) == "2026-12-03 15:00 MSK (UTC+03:00)"
    assert local_time(NOON_UTC, zone_for("UTC")) == "2026-12-03 12:00 UTC"
    assert local_time(NOON_UTC, zone_for("Asia/Kolkata")) == "2026-12-03 17:30 IST (UTC+05:30)"


def test_a_zone_without_letters_shows_its_offset_alone() -> None:
    assert local_time(NOON_UTC, zone_for("Asia/Almaty")) == "2026-12-03 17:00 UTC+05:00"


def test_summer_time_is_followed() -> None:
    july = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert local_time(july, zone_for("Europe/Berlin")) == "2026-07-01 14:00 CEST (UTC+02:00)"
    assert local_time(NOON_UTC, zone_for("Europe/Berlin")) == "2026-12-03 13:00 CET (UTC+01:00)"


def test_no_time_is_a_dash_and_negative_offsets_have_minutes() -> None:
    assert local_time(None, zone_for("UTC")) == "—"
    assert offset_words(-timedelta(hours=9, minutes=30)) == "UTC-09:30"
