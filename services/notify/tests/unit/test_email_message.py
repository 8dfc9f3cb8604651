"""The mail notify builds reads back as written: Russian subject and sender name,
plain text with an HTML alternative, a Message-ID derived from the delivery, the thread
of its incident, the desk's inbound address to reply to, and the mark of a machine."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message
from typing import Any
from uuid import UUID, uuid4

from notify.email import build_message, message_id, thread_id

INCIDENT = UUID("0b7f2d4e-8c51-4f0e-9d43-6a1c2b3d4e5f")


def _mail(**given: Any) -> Message:
    """A mail as notify builds it, with plain defaults for what the test does not name."""
    fields: dict[str, Any] = {
        "sender": "desk@example.com",
        "to": "a@example.com",
        "subject": "S",
        "text": "T",
        "html": None,
        "message_key": "d",
    }
    return build_message(**(fields | given))


def _read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_russian_subject_sender_and_both_parts_survive_the_wire() -> None:
    built = _mail(
        sender="Служба поддержки <desk@example.com>",
        to="client@example.com",
        subject="Инцидент INC-000042 назначен",
        text="Здравствуйте!\nВаш инцидент назначен.",
        html="<p>Здравствуйте!</p>",
        message_key="delivery-1",
    )
    raw = built.as_bytes()
    assert raw.isascii()  # 7-bit clean: every server takes it
    mail = _read_back(raw)
    assert mail["Subject"] == "Инцидент INC-000042 назначен"
    assert mail["From"].addresses[0].display_name == "Служба поддержки"
    assert mail["From"].addresses[0].addr_spec == "desk@example.com"
    assert mail["To"] == "client@example.com"
    assert mail["Message-ID"] == "<delivery-1@example.com>"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content() == "Здравствуйте!\nВаш инцидент назначен."
    assert html.get_content() == "<p>Здравствуйте!</p>"


def test_plain_only_mail_has_one_part_and_an_ascii_subject_stays_as_is() -> None:
    built = _mail(
        to="agent@example.com",
        subject="INC-000007 breached",
        text="Resolution time passed.",
        message_key="delivery-2",
    )
    assert built["Subject"] == "INC-000007 breached"
    mail = _read_back(built.as_bytes())
    assert not mail.is_multipart()
    assert mail.get_content() == "Resolution time passed."
    assert mail["From"] == "desk@example.com"


def test_every_copy_of_one_delivery_carries_the_same_message_id() -> None:
    def built(key: str, sender: str = "Desk <desk@example.com>") -> str:
        return str(_mail(sender=sender, message_key=key)["Message-ID"])

    assert built("3f0c") == built("3f0c") == "<3f0c@example.com>"
    assert built("3f0c") != built("3f0d")
    # A sender address without a domain still gives a well-formed, stable id.
    assert built("3f0c", sender="desk") == "<3f0c@desk.local>"


def test_a_mail_about_an_incident_joins_its_thread() -> None:
    built = _mail(
        sender="Desk <desk@support.example.com>",
        to="alice@example.com",
        subject="[INC-000042] Assigned",
        message_key="d1",
        incident_id=INCIDENT,
    )
    mail = _read_back(built.as_bytes())
    root = f"<{INCIDENT}@support.example.com>"
    # Its own id names the delivery; the thread's root names the incident.
    assert mail["Message-ID"] == "<d1@support.example.com>"
    assert mail["In-Reply-To"] == root
    assert mail["References"] == root
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Reply-To"] is None  # no inbound address configured


def test_every_mail_of_one_incident_shares_the_root_and_none_shares_an_id() -> None:
    sender = "desk@support.example.com"
    ids = {message_id(str(uuid4()), sender) for _ in range(3)}
    assert len(ids) == 3
    assert thread_id(INCIDENT, sender) not in ids


def test_thread_headers_are_never_folded() -> None:
    """A folded Message-ID reads back with a leading space in many readers: with a UUID
    and a domain of ordinary length every id fits one line."""
    built = _mail(sender="desk@support.example.com", message_key=str(uuid4()), incident_id=INCIDENT)
    head = built.as_bytes().split(b"\n\n", 1)[0]
    for name in (b"Message-ID", b"In-Reply-To", b"References"):
        line = next(line for line in head.split(b"\n") if line.startswith(name + b":"))
        assert line.rstrip().endswith(b">")


def test_replies_go_to_the_inbound_address_when_configured() -> None:
    built = _mail(
        sender="Служба поддержки <desk@support.example.com>",
        to="alice@example.com",
        message_key="d2",
        incident_id=INCIDENT,
        reply_to="Служба поддержки <help@support.example.com>",
    )
    raw = built.as_bytes()
    assert raw.isascii()
    mail = _read_back(raw)
    assert mail["Reply-To"].addresses[0].addr_spec == "help@support.example.com"
    assert mail["Reply-To"].addresses[0].display_name == "Служба поддержки"


def test_a_mail_about_no_incident_has_no_thread_but_is_still_marked_automatic() -> None:
    built = _mail(message_key="d3")
    assert built["In-Reply-To"] is None
    assert built["References"] is None
    assert built["Auto-Submitted"] == "auto-generated"
