"""SMS segmentation by the GSM 03.38 / UCS-2 rules: sizes at every boundary, and
properties over arbitrary text (nothing lost, no segment too long, no pair torn)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notify.sms_segments import (
    ELLIPSIS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    MULTI_LIMIT,
    SINGLE_LIMIT,
    Encoding,
    encoding_of,
    fit,
    length,
    segment_count,
    split,
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("", Encoding.GSM7),
        ("Hello, INC-000123 @ 10:00!", Encoding.GSM7),
        ("Price: 5€ [approx] {x} ~ | ^ \\", Encoding.GSM7),
        ("Ärger über Öl: ñ ü à é", Encoding.GSM7),
        ("Здравствуйте", Encoding.UCS2),
        ("tab\there", Encoding.UCS2),  # TAB has no GSM-7 septet
        ("smile 😀", Encoding.UCS2),
        ("`backtick`", Encoding.UCS2),
        ("ç lowercase cedilla", Encoding.UCS2),  # only capital Ç is in the basic table
    ],
)
def test_encoding_is_gsm7_only_when_every_character_has_a_septet(
    text: str, encoding: Encoding
) -> None:
    assert encoding_of(text) is encoding


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),  # 160 septets: escape + code each
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("я" * 70, 1),
        ("я" * 71, 2),
        ("я" * 134, 2),
        ("я" * 135, 3),
        ("😀" * 35, 1),  # 70 UTF-16 units
        ("😀" * 36, 2),
        ("a" * 159 + "я", 3),  # one Cyrillic letter turns the whole text into UCS-2
        ("a" * 202 + "я", 4),
    ],
)
def test_segment_counts_at_the_boundaries(text: str, segments: int) -> None:
    assert segment_count(text) == segments


def test_extension_characters_are_never_split_from_their_escape() -> None:
    # 152 plain septets then '€' (2): it does not fit in the first 153-septet segment.
    text = "a" * 152 + "€" + "b" * 10
    first, second = split(text)
    assert first == "a" * 152
    assert second.startswith("€")


def test_surrogate_pairs_are_never_torn() -> None:
    text = "я" * 66 + "😀" + "я" * 10
    first, second = split(text)
    assert first == "я" * 66
    assert second.startswith("😀")


def test_fit_keeps_a_short_text_and_cuts_a_long_one_at_a_word() -> None:
    assert fit("short text", 1) == "short text"
    long = " ".join(["word"] * 100)  # 499 characters
    cut = fit(long, 1)
    assert cut.endswith(ELLIPSIS)
    assert segment_count(cut) == 1
    assert cut[: -len(ELLIPSIS)].endswith("word")
    assert long.startswith(cut[: -len(ELLIPSIS)])


def test_fit_of_cyrillic_uses_ucs2_limits() -> None:
    cut = fit("Ваше обращение зарегистрировано " * 10, 2)
    assert segment_count(cut) <= 2
    assert length(cut) <= 2 * MULTI_LIMIT["ucs2"]


def test_fit_refuses_zero_segments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fit("x", 0)


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
any_text = st.text(max_size=700)


@given(st.one_of(gsm_text, any_text))
def test_segments_join_back_to_the_text_and_respect_the_limits(text: str) -> None:
    segments = split(text)
    assert "".join(segments) == text
    encoding = encoding_of(text)
    if len(segments) == 1:
        assert length(segments[0], encoding) <= SINGLE_LIMIT[encoding]
    else:
        for segment in segments:
            assert 0 < length(segment, encoding) <= MULTI_LIMIT[encoding]
    assert len(segments) == (0 if not text else max(1, len(segments)))


@given(st.one_of(gsm_text, any_text), st.integers(min_value=1, max_value=5))
def test_fit_always_fits_and_only_cuts_when_needed(text: str, max_segments: int) -> None:
    result = fit(text, max_segments)
    assert segment_count(result) <= max_segments
    if segment_count(text) <= max_segments:
        assert result == text
    else:
        assert result.endswith(ELLIPSIS)
        assert text.startswith(result[: -len(ELLIPSIS)])


@given(st.one_of(gsm_text, any_text))
def test_segments_never_decrease_as_a_text_grows(text: str) -> None:
    counts = [segment_count(text[:n]) for n in range(0, len(text) + 1, 7)]
    assert counts == sorted(counts)
