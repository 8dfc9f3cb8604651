"""The gateway's pure defences: allow-lists, throttling, session lifetimes, CSRF,
download headers, file names and sniffing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.security import (
    address_allowed,
    clean_filename,
    content_disposition,
    csrf_matches,
    parse_cidr,
    retry_after,
    session_alive,
    sniff,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("address", "cidrs", "allowed"),
    [
        ("10.1.2.3", [], True),
        ("10.1.2.3", ["10.0.0.0/8"], True),
        ("11.1.2.3", ["10.0.0.0/8"], False),
        ("2001:db8::5", ["10.0.0.0/8", "2001:db8::/32"], True),
        ("2001:db9::5", ["2001:db8::/32"], False),
        ("::ffff:10.0.0.7", ["10.0.0.0/8"], True),
        ("127.0.0.1", ["::1/128"], False),
        ("fe80::1%eth0", ["fe80::/10"], True),
        (None, ["10.0.0.0/8"], False),
        ("not-an-address", ["10.0.0.0/8"], False),
    ],
)
def test_allow_list(address: str | None, cidrs: list[str], allowed: bool) -> None:
    assert address_allowed(address, [parse_cidr(c) for c in cidrs]) is allowed


def test_cidr_with_host_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="host bits"):
        parse_cidr("10.0.0.1/8")


def test_throttle_counts_only_the_window() -> None:
    window = timedelta(minutes=5)
    fails = [T0 - timedelta(minutes=m) for m in (1, 2, 3)]
    assert retry_after(fails, T0, window, 4) is None
    assert retry_after(fails, T0, window, 3) == pytest.approx(120)
    assert retry_after([T0 - timedelta(minutes=6)] * 10, T0, window, 3) is None


@given(st.lists(st.integers(min_value=0, max_value=600), max_size=30), st.integers(1, 10))
def test_throttle_wait_frees_the_subject_exactly(ages: list[int], limit: int) -> None:
    window = timedelta(seconds=300)
    fails = [T0 - timedelta(seconds=a) for a in ages]
    wait = retry_after(fails, T0, window, limit)
    if wait is None:
        assert sum(1 for a in ages if a < 300) < limit
    else:
        later = T0 + timedelta(seconds=wait)
        assert retry_after(fails, later, window, limit) is None


def test_session_idle_and_absolute_timeouts() -> None:
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    assert session_alive(T0, T0, T0 + timedelta(minutes=29), idle=idle, absolute=absolute)
    assert not session_alive(T0, T0, T0 + timedelta(minutes=30), idle=idle, absolute=absolute)
    busy = T0 + timedelta(hours=12)
    assert not session_alive(T0, busy - timedelta(seconds=1), busy, idle=idle, absolute=absolute)


def test_csrf_tokens_compare_exactly() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches("abc", None)
    assert not csrf_matches(None, None)
    assert not csrf_matches("", "")


@given(st.text(min_size=1, max_size=80))
def test_content_disposition_round_trips_any_name(name: str) -> None:
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in fallback)
    assert "\r" not in header
    assert "\n" not in header
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\plan.dwg", "plan.dwg"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("", "file"),
        (None, "file"),
        ("...", "file"),
        ("Отчёт.pdf", "Отчёт.pdf"),
        ("rtl\u202egnp.exe", "rtlgnp.exe"),
        ("\u2067scan\u2069.pdf", "scan.pdf"),
    ],
)
def test_clean_filename(raw: str | None, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"\x89PNG\r\n\x1a\nxxxx", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"%PDF-1.7", "application/pdf"),
        (b"PK\x03\x04docx", "application/zip"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8", "image/webp"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"AC1015", "image/vnd.dwg"),
        ("Привет, мир".encode(), "text/plain"),
        ("Привет".encode()[:-1], "text/plain"),
        (b"\x00\x01\x02\xff\xfe", "application/octet-stream"),
        (b"", "application/x-empty"),
    ],
)
def test_sniff(head: bytes, media_type: str) -> None:
    assert sniff(head) == media_type


def test_cookies_use_the_host_prefix_behind_tls() -> None:
    from desk_runtime.settings import DeskSettings
    from portal_gateway.deps import csrf_cookie, session_cookie

    plain, tls = DeskSettings(secure_cookies=False), DeskSettings(secure_cookies=True)
    assert (session_cookie(plain), csrf_cookie(plain)) == ("desk_session", "desk_csrf")
    assert (session_cookie(tls), csrf_cookie(tls)) == ("__Host-desk_session", "__Host-desk_csrf")
