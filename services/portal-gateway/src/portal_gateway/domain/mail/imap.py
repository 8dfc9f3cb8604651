"""Polling an IMAP mailbox (DESK_IMAP_URL, DESK_IMAP_USER, DESK_IMAP_PASSWORD,
DESK_IMAP_FOLDER) with aioimaplib, for a desk whose mail sits in a mailbox rather than
being handed over by a mail server. Each mail is taken exactly as the listener takes
one (`service.receive`: stored, then processed; the same Message-ID twice files once)
and, once stored, moved to DESK_IMAP_DONE_FOLDER; a mail that could not be stored stays
in the folder for the next poll. There is no sender to bounce to: a refusal is recorded
on the mail's row."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aioimaplib import IMAP4, IMAP4_SSL
from desk_runtime.logging import get_logger
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service

from . import rules, service

log = get_logger(__name__)

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Mailbox:
    secure: bool
    host: str
    port: int


def mailbox_of(url: str) -> Mailbox:
    """imap://host[:port] (143) or imaps://host[:port] (993)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError(f"imap_url: {url!r} is not an imap:// or imaps:// URL with a host")
    secure = parts.scheme == "imaps"
    return Mailbox(secure, parts.hostname, parts.port or (993 if secure else 143))


def uids_of(lines: list[Any]) -> list[str]:
    """The UIDs a UID SEARCH answered (its first line holds them, space-separated)."""
    found: list[str] = []
    for line in lines[:-1] or lines:
        text = bytes(line).decode("ascii", "replace").strip()
        if text.upper().startswith("SEARCH"):
            text = text[len("SEARCH") :]
        found += [word for word in text.split() if word.isdigit()]
    return found


def fetched_mail(lines: list[Any]) -> bytes | None:
    """The message's bytes in a FETCH answer: the literal, which aioimaplib hands over as
    a bytearray among the answer's lines."""
    for line in lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


def envelope_sender(raw: bytes) -> str:
    """The envelope sender a mail server left in Return-Path (`''` for a bounce's `<>`),
    else the author; `''` for a mail that cannot be read (it is quarantined anyway)."""
    try:
        mail = rules.parse(raw)
    except Exception:
        return ""
    if mail.get("Return-Path") is not None:
        return rules.address_of(rules.header(mail, "Return-Path"))
    return rules.sender_address(mail) or ""


def quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response: Any, what: str) -> Any:
    if response.result != "OK":
        detail = b" ".join(bytes(line) for line in response.lines).decode("utf-8", "replace")
        raise ConnectionError(f"IMAP {what}: {response.result} {detail}")
    return response


async def poll_once(desk: Service, client: RpcClient) -> int:
    """One look at the mailbox: every mail in the folder taken and moved; how many."""
    settings = desk.settings
    assert settings.inbound.imap_url is not None
    box = mailbox_of(settings.inbound.imap_url)
    imap: IMAP4 = (IMAP4_SSL if box.secure else IMAP4)(
        host=box.host, port=box.port, timeout=TIMEOUT_SECONDS
    )
    await imap.wait_hello_from_server()
    taken = 0
    try:
        _ok(
            await imap.login(
                settings.inbound.imap_user or "", settings.inbound.imap_password or ""
            ),
            "LOGIN",
        )
        # Created once; a folder that exists answers NO, which is fine.
        await imap.create(quoted(settings.inbound.imap_done_folder))
        _ok(await imap.select(quoted(settings.inbound.imap_folder)), "SELECT")
        uids = uids_of(_ok(await imap.uid_search("ALL", charset=None), "SEARCH").lines)
        for uid in uids:
            fetched = _ok(await imap.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
            raw = fetched_mail(fetched.lines)
            if raw is None:
                continue
            outcome = await service.receive(
                desk,
                client,
                raw,
                envelope_from=envelope_sender(raw),
                recipients=[settings.inbound.imap_user or ""],
            )
            log.info("imap_mail_taken", uid=uid, status=outcome.status)
            if outcome.status == "deferred":
                continue  # over its sender's rate: it stays for a later poll
            await _move(imap, uid, settings.inbound.imap_done_folder)
            taken += 1
        if uids and not imap.has_capability("MOVE"):
            await imap.expunge()
    finally:
        with contextlib.suppress(Exception):
            await imap.logout()
    return taken


async def _move(imap: IMAP4, uid: str, folder: str) -> None:
    if imap.has_capability("MOVE"):
        _ok(await imap.uid("move", uid, quoted(folder)), "MOVE")
        return
    _ok(await imap.uid("copy", uid, quoted(folder)), "COPY")
    _ok(await imap.uid("store", uid, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")


async def poll_mailbox(desk: Service, client: RpcClient) -> None:
    """Polls every DESK_IMAP_POLL_SECONDS for the life of the process; a mailbox out of
    reach is tried again at the next poll."""
    while True:
        try:
            await poll_once(desk, client)
        except Exception as error:  # out of reach, refused, timed out: the next poll tries
            log.warning("imap_poll_failed", error=repr(error))
        await asyncio.sleep(desk.settings.inbound.imap_poll_seconds)
