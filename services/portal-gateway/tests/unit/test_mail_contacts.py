"""Unknown senders of an organization's own domains, the pure rules: what a listed domain
is and how it is kept (trimmed, lower-cased, ASCII), which addresses are of one, and the
contact's username, name and language as the mail gives them."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from desk_contracts.enums import Locale
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.domain.mail import contacts, rules


@pytest.mark.parametrize(
    ("listed", "kept"),
    [
        ("example.com", "example.com"),
        ("  Example.COM ", "example.com"),
        ("@example.com", "example.com"),
        ("example.com.", "example.com"),
        ("mail.initech.example", "mail.initech.example"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        ("my-company.co.uk", "my-company.co.uk"),
    ],
)
def test_a_listed_domain_is_kept_trimmed_lower_case_and_ascii(listed: str, kept: str) -> None:
    assert contacts.normal_domain(listed) == kept


@pytest.mark.parametrize(
    "listed",
    [
        "",
        "   ",
        "localhost",
        "alice@example.com",
        "exa mple.com",
        "example..com",
        "-example.com",
        "example-.com",
        "exa_mple.com",
        "192.168.0.1",
        "a" * 64 + ".com",
        ("a" * 60 + ".") * 5 + "com",
        "https://example.com",
    ],
)
def test_what_is_no_domain_name_is_refused(listed: str) -> None:
    with pytest.raises(contacts.NotADomain) as refused:
        contacts.normal_domain(listed)
    assert refused.value.value == listed
    assert str(refused.value) == f"not a domain name: {listed}"


def test_a_list_keeps_each_domain_once_in_order_and_names_the_first_bad_one() -> None:
    assert contacts.normal_domains(["B.example", "a.example", "b.example."]) == [
        "b.example",
        "a.example",
    ]
    with pytest.raises(contacts.NotADomain) as refused:
        contacts.normal_domains(["a.example", "not a domain", "also bad"])
    assert (refused.value.index, refused.value.value) == (1, "not a domain")


@pytest.mark.parametrize(
    ("address", "of"),
    [
        ("pat@initech.example", True),
        ("Pat@INITECH.Example", True),
        ("pat@initech.example.", True),
        ("pat@mail.initech.example", False),  # a subdomain is a domain of its own
        ("pat@initech.example.org", False),
        ("pat@notinitech.example", False),
        ("initech.example", False),
        ("@initech.example", False),
        ("ivan@пример.рф", True),
    ],
)
def test_an_address_is_of_a_listed_domain_only_when_the_domains_are_the_same(
    address: str, of: bool
) -> None:
    domains = contacts.normal_domains(["initech.example", "пример.рф"])
    assert contacts.is_of_domains(address, domains) is of


@given(st.sampled_from(["Initech.Example", "initech.example", "INITECH.EXAMPLE."]))
def test_normalising_twice_changes_nothing(listed: str) -> None:
    once = contacts.normal_domain(listed)
    assert contacts.normal_domain(once) == once == "initech.example"


def test_the_contacts_username_is_its_address_then_numbered() -> None:
    names = contacts.contact_usernames("Pat.Smith@Initech.Example")
    assert [next(names) for _ in range(3)] == [
        "pat.smith@initech.example",
        "pat.smith@initech.example-2",
        "pat.smith@initech.example-3",
    ]
    # What a username cannot hold becomes a hyphen; the domain is in its ASCII form.
    assert (
        next(contacts.contact_usernames("pat+desk@пример.рф")) == "pat-desk@xn--e1afmkfd.xn--p1ai"
    )
    long = next(contacts.contact_usernames("a" * 200 + "@initech.example"))
    assert len(long) == contacts.USERNAME_LIMIT


def test_the_contacts_name_is_the_mails_display_name_else_the_local_part() -> None:
    assert contacts.contact_name("Pat  Smith <pat@initech.example>", "pat@initech.example") == (
        "Pat Smith"
    )
    assert contacts.contact_name('"Смирнов, Пётр" <petr@initech.example>', "petr@x") == (
        "Смирнов, Пётр"
    )
    assert contacts.contact_name("pat@initech.example", "pat@initech.example") == "pat"


def mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Pat <pat@initech.example>"
    message["Subject"] = "Printer down"
    message.set_content("Hello")  # (it drops Content-* headers set before it)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return rules.parse(message.as_bytes())


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({"Content_Language": "ru-RU"}, Locale.RU),
        ({"Content_Language": "en-US"}, Locale.EN),
        ({"Content_Language": "de-DE, ru"}, Locale.RU),
        ({"Accept_Language": "ru-RU, en-US"}, Locale.RU),
        ({"Accept_Language": "en;q=0.5, ru;q=0.9"}, Locale.RU),
        ({"Accept_Language": "ru;q=0, en"}, Locale.EN),
        ({"Content_Language": "en", "Accept_Language": "ru"}, Locale.EN),
        ({"Content_Language": "de", "Accept_Language": "ru"}, Locale.RU),
        ({"Content_Language": "fr-FR"}, None),
        ({}, None),
    ],
)
def test_the_contacts_language_is_the_one_the_mail_names(
    headers: dict[str, str], language: Locale | None
) -> None:
    assert contacts.mail_language(mail(**headers)) is language


def test_the_language_of_the_text_part_counts_when_the_mail_names_none() -> None:
    message = MIMEMultipart("mixed")
    message["From"] = "Pat <pat@initech.example>"
    text = MIMEText("Здравствуйте", "plain", "utf-8")
    text["Content-Language"] = "ru"
    message.attach(text)
    assert contacts.mail_language(rules.parse(message.as_bytes())) is Locale.RU


@given(st.text(max_size=80))
def test_any_text_is_a_domain_kept_as_one_or_refused_as_none(listed: str) -> None:
    try:
        kept = contacts.normal_domain(listed)
    except contacts.NotADomain:
        return
    assert kept == kept.strip().lower()
    assert kept.isascii()
    assert contacts.normal_domain(kept) == kept
