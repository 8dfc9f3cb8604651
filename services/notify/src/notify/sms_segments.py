"""How an SMS text travels: GSM 03.38 (7-bit) when every character has a septet,
else UCS-2; one segment of 160 septets / 70 units, or concatenated segments of 153 / 67
(the rest carries the concatenation header). Pure, so the rules are tested exhaustively.

A character of the GSM extension table costs two septets (escape + code) and a character
outside the Basic Multilingual Plane two UCS-2 units (a surrogate pair); neither is ever
split across segments, since a phone would show garbage for a torn pair.
"""

from __future__ import annotations

from enum import StrEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_LIMIT = {"gsm7": 160, "ucs2": 70}
MULTI_LIMIT = {"gsm7": 153, "ucs2": 67}
# GSM-safe, so cutting a GSM-7 text never turns it into a shorter-segment UCS-2 one.
ELLIPSIS = "..."


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


def encoding_of(text: str) -> Encoding:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def units(ch: str, encoding: Encoding) -> int:
    """Septets (GSM-7) or 16-bit code units (UCS-2) one character takes."""
    if encoding is Encoding.GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def length(text: str, encoding: Encoding | None = None) -> int:
    encoding = encoding or encoding_of(text)
    return sum(units(ch, encoding) for ch in text)


def split(text: str) -> list[str]:
    """The segments the network carries, in order; joined they give the text back."""
    if not text:
        return []
    encoding = encoding_of(text)
    if length(text, encoding) <= SINGLE_LIMIT[encoding]:
        return [text]
    limit = MULTI_LIMIT[encoding]
    segments: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = units(ch, encoding)
        if used + cost > limit:
            segments.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    segments.append("".join(current))
    return segments


def segment_count(text: str) -> int:
    return len(split(text))


def fit(text: str, max_segments: int) -> str:
    """The text as is when it fits in `max_segments`, else its longest prefix that fits
    with an ellipsis after it (cut at a space when one is near, so words stay whole)."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segment_count(text) <= max_segments:
        return text
    # Segments never decrease as a prefix grows, so the longest fitting prefix is found
    # by bisection.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if segment_count(text[:middle] + ELLIPSIS) <= max_segments:
            low = middle
        else:
            high = middle - 1
    prefix = text[:low]
    space = prefix.rfind(" ")
    if space >= max(1, len(prefix) - 20):
        prefix = prefix[:space]
    return prefix.rstrip() + ELLIPSIS
