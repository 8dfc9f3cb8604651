"""Unknown senders of an organization's own domains (SPEC §14), pure: the domains an
admin lists (trimmed, lower-cased, in their ASCII form, checked), whether an address is
of one of them, and what the contact filed from such a mail is called and speaks. No
I/O: the accounts area keeps the domains, the mail service files the contact."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from email.message import EmailMessage
from email.utils import parseaddr

from desk_contracts.enums import Locale

from .rules import body_part, header

# One label of a host name (RFC 1123): letters, digits and hyphens, not at either end.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_USERNAME_OUTSIDE = re.compile(r"[^a-z0-9_.@-]+")
USERNAME_LIMIT = 150
NAME_LIMIT = 200
# The words a refusal of a listed domain says, translated where it is shown.
NOT_A_DOMAIN = "not a domain name: {value}"


class NotADomain(ValueError):
    """A value an admin listed that is no domain name."""

    def __init__(self, value: str, index: int = 0) -> None:
        super().__init__(NOT_A_DOMAIN.format(value=value))
        self.value = value
        self.index = index


def normal_domain(value: str) -> str:
    """A domain as the desk keeps and compares it: trimmed, without a leading `@` or a
    trailing dot, lower-case, international names in their ASCII (IDNA) form; at least
    two labels, none longer than 63, a top level that is not a number."""
    text = value.strip().removeprefix("@").removesuffix(".").lower()
    if not text or "@" in text or any(c.isspace() for c in text):
        raise NotADomain(value)
    try:
        ascii_form = text.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise NotADomain(value) from error
    labels = ascii_form.split(".")
    if (
        len(ascii_form) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise NotADomain(value)
    return ascii_form


def normal_domains(values: Iterable[str]) -> list[str]:
    """An admin's list, each normalised, the repeated ones once, in the given order;
    NotADomain names the first that is none (by its index in the list)."""
    kept: dict[str, None] = {}
    for index, value in enumerate(values):
        try:
            kept[normal_domain(value)] = None
        except NotADomain as error:
            raise NotADomain(value, index) from error
    return list(kept)


def domain_of(address: str) -> str | None:
    """The normalised domain of a mail address; None when it has none."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return None
    try:
        return normal_domain(domain)
    except NotADomain:
        return None


def is_of_domains(address: str, domains: Iterable[str]) -> bool:
    """Whether the address is of one of the (normalised) domains: the same domain, not a
    subdomain of one (`mail.example.com` is a domain of its own)."""
    domain = domain_of(address)
    return domain is not None and domain in set(domains)


def contact_usernames(address: str) -> Iterator[str]:
    """Usernames for a contact, the first one free taken: the address itself (its domain
    in ASCII, characters a username cannot hold as `-`), then `…-2`, `…-3`…"""
    local, _, _ = address.strip().lower().rpartition("@")
    domain = domain_of(address) or ""
    base = _USERNAME_OUTSIDE.sub("-", f"{local}@{domain}").strip("-") or "contact"
    yield base[:USERNAME_LIMIT]
    for n in range(2, 100):
        suffix = f"-{n}"
        yield base[: USERNAME_LIMIT - len(suffix)] + suffix


def contact_name(from_header: str, address: str) -> str:
    """What the contact is called: the name the mail's From gives, else the part of the
    address before the @."""
    name = " ".join(parseaddr(from_header)[0].split()).strip("\"' ")
    if not name:
        name = address.rpartition("@")[0] or address
    return name[:NAME_LIMIT]


def _tags(value: str, *, weighed: bool) -> list[str]:
    """The primary language subtags a Content-Language or Accept-Language names, in the
    order they are preferred (Accept-Language by its q values)."""
    found: list[tuple[float, int, str]] = []
    for position, part in enumerate(value.split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, number = parameter.partition("=")
            if weighed and name.strip().lower() == "q":
                try:
                    weight = float(number)
                except ValueError:
                    weight = 0.0
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary and weight > 0:
            found.append((-weight, position, primary))
    return [primary for _, _, primary in sorted(found)]


def mail_language(mail: EmailMessage) -> Locale | None:
    """The language the mail says it is written in or its author reads: the mail's
    Content-Language, else its text part's, else Accept-Language; None when none of
    them names a language of the desk."""
    part = body_part(mail)
    candidates = [
        (header(mail, "Content-Language"), False),
        (header(part, "Content-Language") if part is not None else "", False),
        (header(mail, "Accept-Language"), True),
    ]
    known = {locale.value: locale for locale in Locale}
    for value, weighed in candidates:
        for primary in _tags(value, weighed=weighed):
            if primary in known:
                return known[primary]
    return None
