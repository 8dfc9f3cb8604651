"""The profile's time zone: an IANA name or nothing, a bad one refused naming the field
in the reader's language; pages show times in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from desk_runtime.local_time import local_time, zone_for
from portal_gateway.domain.profile.schemas import ProfileChange
from portal_gateway.web.forms import field_errors
from portal_gateway.web.history import entry_line
from portal_gateway.web.i18n import translator


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Unknown time zone"), ("ru", "Неизвестный часовой пояс")],
)
def test_an_unknown_zone_is_refused_naming_the_field(language: str, words: str) -> None:
    errors = field_errors(ProfileChange, {"time_zone": "Mars/Olympus"}, translator(language))
    assert list(errors) == ["time_zone"]
    assert errors["time_zone"].startswith(words)


def test_a_known_zone_or_none_is_taken() -> None:
    assert ProfileChange.model_validate({"time_zone": "Asia/Tokyo"}).time_zone == "Asia/Tokyo"
    assert ProfileChange.model_validate({"time_zone": None}).time_zone is None


def test_history_lines_quote_times_the_way_the_page_does() -> None:
    zone = zone_for("Europe/Moscow")

    def when(value: datetime | None) -> str:
        return local_time(value, zone)

    due = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).isoformat()
    facts = {"line": "deadlines", "contract": "Standard v1", "response": due, "resolution": due}
    line = entry_line("", facts, translator("ru"), when)
    assert "2026-12-03 12:00 MSK (UTC+03:00)" in line
