"""Names and titles as people read them: no direction tricks, never blank to the eye."""

from __future__ import annotations

import pytest
from desk_contracts.messages import Name, Title
from desk_contracts.messages.common import BIDI_CONTROLS, without_bidi_controls
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

TITLE = TypeAdapter(Title)
NAME = TypeAdapter(Name)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Printer jams  ", "Printer jams"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("\u2067مرحبا\u2069 printer", "مرحبا printer"),
        ("Принтер\u200fне печатает", "Принтерне печатает"),
        ("emoji 👩\u200d💻 stays joined", "emoji 👩\u200d💻 stays joined"),
    ],
)
def test_a_title_loses_its_direction_controls_and_keeps_the_rest(typed: str, kept: str) -> None:
    assert TITLE.validate_python(typed) == kept


@pytest.mark.parametrize(
    "blank", ["", "   ", "\u200b\u200b\u200b", "\ufeff \u200b", "\u202e\u202c", "\u2060\n\t"]
)
def test_text_that_shows_nothing_is_refused_as_blank(blank: str) -> None:
    for adapter in (TITLE, NAME):
        with pytest.raises(ValidationError, match=r"must not be blank|at least 1"):
            adapter.validate_python(blank)


@given(st.text(min_size=1, max_size=300))
def test_a_valid_title_never_carries_a_direction_control(typed: str) -> None:
    try:
        title = TITLE.validate_python(typed)
    except ValidationError:
        return
    assert BIDI_CONTROLS.search(title) is None
    assert title == title.strip()
    assert title == without_bidi_controls(typed).strip()
