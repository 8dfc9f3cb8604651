"""The e-mail channel's pure rules, on mails built here: noise is recognised, the
incident a mail answers is found in its subject and thread headers, the text comes in
its declared charset (plain preferred, HTML read safely), quoted history and signatures
are cut, and the files are the parts that are not the text."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.domain.mail import rules
from portal_gateway.domain.mail.service import Outcome

DOMAIN = "support.example.com"
OWN = ["Service Desk <desk@support.example.com>", "help@support.example.com"]
INCIDENT = UUID("0b7f2d4e-8c51-4f0e-9d43-6a1c2b3d4e5f")


def mail(text: str = "Hello", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Alice <Alice@Example.com>")
    message["To"] = "help@support.example.com"
    message["Subject"] = headers.pop("Subject", "Printer down")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def read(message: EmailMessage | MIMEMultipart | MIMEText) -> EmailMessage:
    return rules.parse(message.as_bytes())


# --- reading --------------------------------------------------------------------------


def test_the_sender_is_the_from_address_in_lower_case() -> None:
    assert rules.sender_address(read(mail())) == "alice@example.com"
    assert rules.sender_address(read(mail(From="undisclosed"))) is None


def test_an_empty_or_headerless_mail_is_unreadable() -> None:
    with pytest.raises(rules.Unreadable):
        rules.parse(b"  \r\n")
    with pytest.raises(rules.Unreadable):
        rules.parse(b"\r\njust a body without any header\r\n")


def test_the_key_is_the_message_id_or_else_the_digest_of_the_bytes() -> None:
    with_id = mail(Message_ID="<abc@client.example>")
    assert rules.mail_key(read(with_id), with_id.as_bytes()) == "<abc@client.example>"
    without = mail()
    raw = without.as_bytes()
    key = rules.mail_key(read(without), raw)
    assert key.startswith("sha256:")
    assert key == rules.mail_key(read(without), raw)
    assert key != rules.mail_key(read(mail("Other")), mail("Other").as_bytes())


# --- noise ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"Precedence": "junk"}, "Precedence"),
        ({"Precedence": "list"}, "Precedence"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
        ({"X_Autorespond": "yes"}, "X-Autorespond"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, "MAILER-DAEMON"),
        ({"From": "Desk <DESK@support.example.com>"}, "own"),
        ({"From": "help@support.example.com"}, "own"),
    ],
)
def test_machine_mail_and_the_desks_own_are_noise(headers: dict[str, str], reason: str) -> None:
    found = rules.noise(read(mail(**headers)), "someone@example.com", OWN)
    assert found is not None
    assert reason in found


def test_a_person_s_mail_is_not_noise_and_auto_submitted_no_is_a_person() -> None:
    assert rules.noise(read(mail()), "alice@example.com", OWN) is None
    assert rules.noise(read(mail(Auto_Submitted="no")), "alice@example.com", OWN) is None
    assert rules.noise(read(mail(Precedence="first-class")), "alice@example.com", OWN) is None
    # Outlook asks others not to auto-answer a person's mail too: that is no auto-reply.
    suppressing = mail(X_Auto_Response_Suppress="OOF")
    assert rules.noise(read(suppressing), "alice@example.com", OWN) is None


def test_a_bounce_is_noise_by_its_report_and_by_its_null_sender() -> None:
    report = BOUNCE
    assert rules.noise(rules.parse(report), "alice@example.com", OWN) is not None
    assert rules.is_delivery_report(rules.parse(report))
    # A delivery-status part inside another kind of mail is one too.
    nested = report.replace(b"multipart/report; report-type=delivery-status", b"multipart/mixed")
    assert rules.is_delivery_report(rules.parse(nested))
    assert "null envelope sender" in (rules.noise(read(mail()), "<>", OWN) or "")
    assert rules.noise(read(mail()), "", OWN) is not None


BOUNCE = (
    b"From: Mail Delivery System <mailer@mx.example.com>\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
    b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@example.com\r\n"
    b"Action: failed\r\nStatus: 5.1.1\r\n\r\n"
    b"--b1--\r\n"
)


# --- threading ------------------------------------------------------------------------


def test_the_subject_reference_names_the_incident_whatever_the_prefixes() -> None:
    found = rules.thread(read(mail(Subject="RE: AW: [inc-000123] Printer down")), DOMAIN)
    assert found.numbers == ("INC-000123",)
    assert not found.desk_ids


def test_in_reply_to_names_the_desk_s_mail() -> None:
    delivery = uuid4()
    found = rules.thread(
        read(mail(In_Reply_To=f"<{delivery}@{DOMAIN}>", Subject="Re: thanks")), DOMAIN
    )
    assert found.desk_ids == (delivery,)
    assert found.numbers == ()


def test_in_reply_to_comes_first_then_references_newest_first_each_once() -> None:
    delivery, parent = uuid4(), uuid4()
    chain = f"<{INCIDENT}@{DOMAIN}> <x@elsewhere.example> <{delivery}@{DOMAIN}>"
    found = rules.thread(
        read(mail(In_Reply_To=f"<{parent}@{DOMAIN}>", References=f"{chain} <{parent}@{DOMAIN}>")),
        DOMAIN,
    )
    assert found.desk_ids == (parent, delivery, INCIDENT)


def test_a_reference_longer_than_a_number_names_nothing() -> None:
    assert rules.thread(read(mail(Subject="[INC-0000000000001] x")), DOMAIN).numbers == ()
    assert rules.thread(read(mail(Subject="[INC-000000000001] x")), DOMAIN).numbers == (
        "INC-000000000001",
    )


def test_message_ids_of_other_domains_or_without_an_incident_name_nothing() -> None:
    assert rules.desk_id(f"<{INCIDENT}@elsewhere.example>", DOMAIN) is None
    assert rules.desk_id(f"<abc.def@{DOMAIN}>", DOMAIN) is None
    assert rules.desk_id("<no-at-sign>", DOMAIN) is None
    assert rules.desk_id(f"<{INCIDENT}@{DOMAIN.upper()}>", DOMAIN) == INCIDENT
    assert not rules.thread(read(mail()), DOMAIN)


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Printer down", "Printer down"),
        ("Re: [INC-000123] Printer down", "Printer down"),
        ("Fwd: RE: Re[2]: Printer   down", "Printer down"),
        ("Ответ: Отв: Принтер не печатает", "Принтер не печатает"),
        ("[INC-000123]", rules.NO_SUBJECT),
        ("", rules.NO_SUBJECT),
        ("Re:", rules.NO_SUBJECT),
    ],
)
def test_the_title_is_the_subject_without_prefixes_and_references(subject: str, title: str) -> None:
    assert rules.title(subject) == title


@given(st.text(max_size=600))
def test_a_title_is_never_blank_never_too_long_and_one_line(subject: str) -> None:
    title = rules.title(subject)
    assert title.strip()
    assert len(title) <= rules.TITLE_LIMIT
    assert "\n" not in title


# --- the text -------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["koi8-r", "windows-1251", "utf-8"])
def test_text_is_read_in_the_charset_it_declares(charset: str) -> None:
    words = "Здравствуйте! Принтер в бухгалтерии не печатает."
    body = MIMEText(words, "plain", charset)
    body["From"] = "alice@example.com"
    body["Subject"] = "Принтер"
    assert rules.body_text(read(body)) == words
    # The same words as raw 8-bit bytes of the charset, as many Russian clients send them.
    raw = (
        f"From: alice@example.com\r\nSubject: x\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + words.encode(charset)
    assert rules.body_text(rules.parse(raw)) == words


def test_an_unknown_charset_is_read_with_replacement_marks_not_refused() -> None:
    raw = (
        b"From: alice@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-martian\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nPrinter \xff down\r\n"
    )
    text = rules.body_text(rules.parse(raw))
    assert text.startswith("Printer")
    assert "down" in text


def test_plain_text_is_preferred_to_its_html_alternative() -> None:
    both = MIMEMultipart("alternative")
    both["From"] = "alice@example.com"
    both.attach(MIMEText("plain words", "plain", "utf-8"))
    both.attach(MIMEText("<p>html words</p>", "html", "utf-8"))
    parsed = read(both)
    assert rules.body_text(parsed) == "plain words"
    # The HTML alternative is no attachment.
    assert rules.attachments(parsed, max_bytes=1000, max_files=10).found == []


def test_html_only_mail_becomes_text_without_markup_or_scripts() -> None:
    page = MIMEText(
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<p>Printer&nbsp;down &amp; smoking</p><script>alert('x')</script>"
        "<div>Room <b>12</b></div><br>Thanks</body></html>",
        "html",
        "utf-8",
    )
    page["From"] = "alice@example.com"
    assert rules.body_text(read(page)) == "Printer down & smoking\n\nRoom 12\n\nThanks"


@given(st.text(max_size=300))
def test_no_tag_survives_html_to_text(inner: str) -> None:
    text = rules.html_to_text(f"<div><script>{inner}</script><b>x</b></div>")
    assert "<b>" not in text
    assert "<script" not in text
    assert text == "x"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Works now, thanks.\n\n> Please try again.\n> Anna", "Works now, thanks."),
        (
            "Works now.\n\nOn Tue, 1 Dec 2026 at 10:00, Desk <desk@support.example.com> wrote:\n"
            "> Please try again.",
            "Works now.",
        ),
        ("Works now.\n-- \nAlice Client\nAcme", "Works now."),
        ("Works now.\n\n-----Original Message-----\nFrom: Desk\nSubject: x", "Works now."),
        ("Работает.\n\n1 дек. 2026 г., в 10:00, Служба поддержки пишет:\n> Проверьте", "Работает."),
        ("Works now.\n\nFrom: Desk <desk@support.example.com>\nSent: Tuesday", "Works now."),
        # Nothing new above the quote: the whole text stays.
        ("> only a quote", "> only a quote"),
    ],
)
def test_quoted_history_and_signatures_are_cut_from_a_reply(text: str, kept: str) -> None:
    assert rules.reply_text(text) == kept


@given(st.text(min_size=1, max_size=400).filter(str.strip))
def test_a_reply_s_text_is_never_empty_when_the_mail_had_words(text: str) -> None:
    assert rules.reply_text(text).strip()


# --- the files ------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def with_files(*parts: MIMEApplication | MIMEText | EmailMessage) -> EmailMessage:
    outer = MIMEMultipart("mixed")
    outer["From"] = "alice@example.com"
    outer["Subject"] = "Invoice"
    outer.attach(MIMEText("See the invoice.", "plain", "utf-8"))
    for part in parts:
        outer.attach(part)
    return read(outer)


def pdf(name: str = "invoice.pdf", content: bytes = PDF) -> MIMEApplication:
    part = MIMEApplication(content, "pdf")
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def test_attachments_are_the_parts_that_are_not_the_text() -> None:
    image = MIMEApplication(b"\x89PNG\r\n\x1a\nrest", "png")
    image.replace_header("Content-Type", "image/png")
    image.add_header("Content-Disposition", "inline")
    log = MIMEText("line 1\nline 2", "plain", "utf-8")
    log.add_header("Content-Disposition", "attachment", filename="printer.log")
    parsed = with_files(pdf(), image, log)
    files = rules.attachments(parsed, max_bytes=10_000, max_files=10)
    assert [(f.filename, f.content_type) for f in files.found] == [
        ("invoice.pdf", "application/pdf"),
        ("part-3.png", "image/png"),
        ("printer.log", "text/plain"),
    ]
    assert files.found[0].content == PDF
    assert rules.body_text(parsed) == "See the invoice."


def test_a_forwarded_mail_is_kept_as_an_eml_file() -> None:
    inner = mail("Original words", Subject="Original")
    forwarded = EmailMessage()
    forwarded["From"] = "alice@example.com"
    forwarded.set_content("See below.")
    forwarded.add_attachment(inner)
    files = rules.attachments(read(forwarded), max_bytes=10_000, max_files=10)
    assert len(files.found) == 1
    assert files.found[0].filename.endswith(".eml")
    assert b"Original words" in files.found[0].content


def test_files_above_the_limit_are_named_and_the_count_is_bounded() -> None:
    parsed = with_files(pdf("big.pdf", PDF * 100), pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf"))
    files = rules.attachments(parsed, max_bytes=1000, max_files=2)
    assert files.too_large == ["big.pdf"]
    assert [f.filename for f in files.found] == ["a.pdf", "b.pdf"]


def test_the_mail_size_limit_fits_a_file_of_the_attachment_limit() -> None:
    limit = 25 * 1024 * 1024
    encoded = MIMEApplication(b"\0" * limit).as_bytes()
    assert len(encoded) < rules.mail_size_limit(limit) < 2 * limit


# --- the answers ----------------------------------------------------------------------


def test_only_a_refusal_is_refused_and_every_answer_is_one_ascii_line() -> None:
    assert Outcome("filed", "filed as INC-000001").smtp_reply() == "250 2.0.0 filed as INC-000001"
    assert Outcome("ignored", "Auto-Submitted").smtp_reply().startswith("250 ")
    assert Outcome("quarantined", "x").smtp_reply().startswith("250 ")
    assert Outcome("received").smtp_reply().startswith("250 ")
    refused = Outcome("refused", "bob@example.com is not\nthe address of a client").smtp_reply()
    assert refused == "550 5.7.1 bob@example.com is not the address of a client"
    deferred = Outcome("deferred", "more than 60 mails an hour from a@example.com").smtp_reply()
    assert deferred == "451 4.7.1 more than 60 mails an hour from a@example.com"
    big = Outcome("refused", "too large", code=552).smtp_reply()
    assert big.startswith("552 5.3.4 ")
    assert Outcome("refused", "Квота исчерпана").smtp_reply().isascii()


def test_addresses_are_checked_for_their_form() -> None:
    assert rules.is_address("help@support.example.com")
    assert not rules.is_address("not an address")
    assert not rules.is_address("")
