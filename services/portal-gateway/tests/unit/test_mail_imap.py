"""The IMAP poller's pure parts: the mailbox URL, the UIDs of a search, the mail in a
fetch answer as aioimaplib hands it over, the envelope sender, folder names quoted."""

from __future__ import annotations

import pytest
from portal_gateway.domain.mail.imap import (
    Mailbox,
    envelope_sender,
    fetched_mail,
    mailbox_of,
    quoted,
    uids_of,
)


@pytest.mark.parametrize(
    ("url", "mailbox"),
    [
        ("imap://mail.example.com", Mailbox(False, "mail.example.com", 143)),
        ("imaps://mail.example.com", Mailbox(True, "mail.example.com", 993)),
        ("imap://127.0.0.1:10143", Mailbox(False, "127.0.0.1", 10143)),
        ("imaps://mail.example.com:1993/", Mailbox(True, "mail.example.com", 1993)),
    ],
)
def test_the_mailbox_url_names_security_host_and_port(url: str, mailbox: Mailbox) -> None:
    assert mailbox_of(url) == mailbox


@pytest.mark.parametrize("url", ["pop3://mail.example.com", "imap://", "mail.example.com"])
def test_a_url_that_is_no_mailbox_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="imap_url"):
        mailbox_of(url)


def test_uids_come_from_the_search_line() -> None:
    assert uids_of([b"SEARCH 3 7 12", b"Search completed (0.001 secs)."]) == ["3", "7", "12"]
    assert uids_of([b"SEARCH", b"Search completed."]) == []
    assert uids_of([b"Search completed."]) == []


def test_the_mail_is_the_literal_of_the_fetch_answer() -> None:
    raw = b"From: alice@example.com\r\nSubject: x\r\n\r\nbody\r\n"
    lines = [b"1 FETCH (UID 5 BODY[] {46}", bytearray(raw), b")", b"Fetch completed."]
    assert fetched_mail(lines) == raw
    assert fetched_mail([b"Fetch completed."]) is None


def test_the_envelope_sender_is_the_return_path_else_the_author() -> None:
    with_path = b"Return-Path: <Bounces@Example.com>\r\nFrom: alice@example.com\r\n\r\nx"
    assert envelope_sender(with_path) == "bounces@example.com"
    # A bounce's null sender stays null, so it is recognised as one.
    assert envelope_sender(b"Return-Path: <>\r\nFrom: mailer-daemon@example.com\r\n\r\nx") == ""
    assert envelope_sender(b"From: Alice <alice@example.com>\r\n\r\nx") == "alice@example.com"
    assert envelope_sender(b"\r\nno headers") == ""


def test_folder_names_are_quoted_strings() -> None:
    assert quoted("Processed") == '"Processed"'
    assert quoted('Desk "done"') == '"Desk \\"done\\""'
    assert quoted("a\\b") == '"a\\\\b"'
