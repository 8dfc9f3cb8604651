"""The mail notify builds reads back as written: Russian subject and sender name,
plain text with an HTML alternative, and a Message-ID derived from the delivery."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from notify.email import build_message


def _read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_russian_subject_sender_and_both_parts_survive_the_wire() -> None:
    built = build_message(
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
    built = build_message(
        sender="desk@example.com",
        to="agent@example.com",
        subject="INC-000007 breached",
        text="Resolution time passed.",
        html=None,
        message_key="delivery-2",
    )
    assert built["Subject"] == "INC-000007 breached"
    mail = _read_back(built.as_bytes())
    assert not mail.is_multipart()
    assert mail.get_content() == "Resolution time passed."
    assert mail["From"] == "desk@example.com"


def test_every_copy_of_one_delivery_carries_the_same_message_id() -> None:
    def built(key: str, sender: str = "Desk <desk@example.com>") -> str:
        message = build_message(
            sender=sender, to="a@example.com", subject="S", text="T", html=None, message_key=key
        )
        return str(message["Message-ID"])

    assert built("3f0c") == built("3f0c") == "<3f0c@example.com>"
    assert built("3f0c") != built("3f0d")
    # A sender address without a domain still gives a well-formed, stable id.
    assert built("3f0c", sender="desk") == "<3f0c@desk.local>"
