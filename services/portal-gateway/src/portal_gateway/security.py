"""Pure rules of the gateway's defences: allow-lists, throttling, session lifetimes,
CSRF tokens, download headers and file-type sniffing. No I/O, so each is unit-tested."""

from __future__ import annotations

import hmac
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from desk_contracts.messages.common import without_bidi_controls

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> Network:
    """A CIDR (or a single address) as a network; host bits must be zero, like
    PostgreSQL's cidr type demands."""
    return ipaddress.ip_network(text.strip(), strict=True)


def address_allowed(address: str | None, allow_list: Sequence[Network]) -> bool:
    """An empty list allows everything; otherwise the address must fall in one network.
    IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as their IPv4 address."""
    if not allow_list:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in allow_list)


def retry_after(
    failures: Iterable[datetime], now: datetime, window: timedelta, limit: int
) -> float | None:
    """Seconds until another login attempt is allowed, or None if allowed now.

    With `limit` failures inside the sliding window the subject must wait until the
    oldest of the last `limit` failures leaves the window."""
    recent = sorted(at for at in failures if now - at < window)
    if len(recent) < limit:
        return None
    release = recent[-limit] + window
    return max((release - now).total_seconds(), 0.001)


def session_alive(
    created_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    *,
    idle: timedelta,
    absolute: timedelta,
) -> bool:
    """A web session dies after `idle` without use or `absolute` after login."""
    return now - last_seen_at < idle and now - created_at < absolute


def csrf_matches(expected: str | None, presented: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(name: str | None) -> str:
    """The client's file name without directories or control characters (it is only
    ever shown and offered back on download; storage names are the content hash)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = without_bidi_controls(_UNSAFE_NAME.sub("", base))
    base = unicodedata.normalize("NFC", base).strip().strip(".")
    return base[:255] or "file"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name per RFC 6266 / RFC 5987."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in filename
    )
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


# (offset, magic bytes, media type) — the formats a service desk sees most.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"PK\x05\x06", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"AC10", "image/vnd.dwg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"\x1aE\xdf\xa3", "video/webm"),
    (0, b"%!PS", "application/postscript"),
    (0, b"{\\rtf", "application/rtf"),
)


def sniff(head: bytes) -> str:
    """The media type the first bytes prove, recorded next to the declared one; text
    that decodes as UTF-8 is text/plain, anything else application/octet-stream."""
    for offset, magic, media_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if not head:
        return "application/x-empty"
    try:
        # A multi-byte character may be cut at the end of the sniffed head.
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            return "application/octet-stream"
    if b"\x00" in head:
        return "application/octet-stream"
    return "text/plain"
