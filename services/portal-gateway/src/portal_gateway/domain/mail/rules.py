"""The e-mail channel's rules, pure (SPEC §14): reading a mail (the standard library's
parser, policy `default`), telling noise from a person's mail, finding the incident a
mail answers, the text of the entry and the files it carries. No I/O: each rule is
unit-tested on mails built in the tests."""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from uuid import UUID

# The reference notify puts in every subject (intake numbers incidents INC-000123).
REFERENCE = re.compile(r"\[(INC-\d{6,12})\]", re.IGNORECASE)
# Reply and forward prefixes of the common mail clients, in several languages.
PREFIXES = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rv|odp|antw|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
NO_SUBJECT = "(no subject)"
TITLE_LIMIT = 300


class Unreadable(Exception):
    """The mail cannot be read as a mail: it goes to the quarantine with this reason."""


def parse(raw: bytes) -> EmailMessage:
    """The mail as the standard library reads it (policy `default`: headers decoded,
    charsets as declared)."""
    if not raw.strip():
        raise Unreadable("the mail is empty")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    if not parsed.keys():
        raise Unreadable("the mail has no headers")
    return parsed


def header(mail: Message, name: str) -> str:
    """A header's value as text, '' when absent or unreadable."""
    try:
        value = mail.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header the registry rejects
        value = None
    return "" if value is None else " ".join(str(value).split())


def sender_address(mail: Message) -> str | None:
    """The author's address (From), lower-cased; None when it names none."""
    value = header(mail, "From")
    found = [addr for _, addr in getaddresses([value]) if "@" in addr]
    return found[0].strip().lower() if found else None


def mail_key(mail: Message, raw: bytes) -> str:
    """What makes two deliveries the same mail: its Message-ID, or for a mail without
    one, the digest of its bytes."""
    ids = MESSAGE_ID.findall(header(mail, "Message-ID"))
    if ids:
        return f"<{ids[0]}>"[:998]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def address_of(value: str) -> str:
    """The bare address of `Name <a@b>` (or of a bare address), lower-cased."""
    return parseaddr(value)[1].strip().lower()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


# --- noise: what never files and never answers ------------------------------------------


def noise(mail: Message, envelope_from: str, own_addresses: Iterable[str]) -> str | None:
    """Why a mail is machine-made or the desk's own (so it must neither file nor trigger
    anything), or None for a person's mail:

    - `Auto-Submitted` anything but `no` (RFC 3834: auto-replies, our own notifications);
    - `Precedence: bulk`, `junk` or `list`, and the auto-responders' own markers
      (`X-Autoreply`, `X-Autorespond`);
    - delivery status notifications (`multipart/report; report-type=delivery-status`, a
      `message/delivery-status` part, the null envelope sender `<>`, MAILER-DAEMON);
    - mail from one of the desk's own addresses."""
    auto = header(mail, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = header(mail, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for marker in ("X-Autoreply", "X-Autorespond"):
        if header(mail, marker):
            return f"{marker} present"
    if is_delivery_report(mail):
        return "a delivery status notification"
    if envelope_from.strip() in ("", "<>"):
        return "the null envelope sender (a bounce)"
    author = sender_address(mail) or ""
    local = author.partition("@")[0]
    if local in ("mailer-daemon", "postmaster") or address_of(envelope_from).startswith(
        "mailer-daemon@"
    ):
        return "from a mail system (MAILER-DAEMON)"
    own = {address_of(a) for a in own_addresses if a}
    if author in own or address_of(envelope_from) in own:
        return "the desk's own mail"
    return None


def is_delivery_report(mail: Message) -> bool:
    if mail.get_content_type() == "multipart/report":
        return True
    return any(
        part.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        for part in mail.walk()
    )


# --- threading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """What a mail says it answers: incident numbers from the subject, and the ids of the
    desk's Message-IDs it names (In-Reply-To first, then References, newest first) —
    a thread's root `<incident@domain>` names an incident, any other desk id
    `<delivery@domain>` a mail notify sent (whose incident notify knows)."""

    numbers: tuple[str, ...] = ()
    desk_ids: tuple[UUID, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.numbers or self.desk_ids)


def desk_id(message_id: str, desk_domain: str) -> UUID | None:
    """The UUID of one of the desk's Message-IDs (`<uuid@desk domain>`), else None."""
    local, at, domain = message_id.strip("<>").rpartition("@")
    if not at or domain.lower() != desk_domain.lower():
        return None
    try:
        return UUID(local)
    except ValueError:
        return None


def thread(mail: Message, desk_domain: str) -> Thread:
    numbers = tuple(dict.fromkeys(n.upper() for n in REFERENCE.findall(header(mail, "Subject"))))
    named = MESSAGE_ID.findall(header(mail, "In-Reply-To"))
    named += reversed(MESSAGE_ID.findall(header(mail, "References")))
    ids = (desk_id(found, desk_domain) for found in named)
    return Thread(numbers, tuple(dict.fromkeys(i for i in ids if i is not None)))


def title(subject: str) -> str:
    """The incident's title: the subject without reply prefixes and references, one line,
    within the title's limit; '(no subject)' for none."""
    text = REFERENCE.sub(" ", subject)
    text = PREFIXES.sub("", " ".join(text.split()))
    text = " ".join(PREFIXES.sub("", text).split())
    return text[:TITLE_LIMIT].strip() or NO_SUBJECT


# --- the text -----------------------------------------------------------------------------


def decoded_text(part: Message) -> str:
    """A text part in the charset it declares (KOI8-R, Windows-1251, UTF-8…); a charset
    Python does not know, or bytes that are not in it, are read with replacement marks
    rather than refused."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    """HTML to plain text: tags dropped, scripts and styles with their content, block
    elements as line breaks, entities decoded. Nothing of the markup survives."""

    BLOCKS = frozenset(
        [
            "address",
            "article",
            "aside",
            "blockquote",
            "br",
            "dd",
            "div",
            "dl",
            "dt",
            "fieldset",
            "figcaption",
            "figure",
            "footer",
            "form",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "main",
            "nav",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tr",
            "ul",
        ]
    )
    SKIPPED = frozenset(("script", "style", "head", "title", "template", "noscript"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")
        elif tag == "td":
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.pieces.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.pieces)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_part(mail: EmailMessage) -> Message | None:
    """The part the entry's text comes from: plain text preferred, HTML when it is the
    only one."""
    return mail.get_body(preferencelist=("plain", "html"))


def body_text(mail: EmailMessage) -> str:
    part = body_part(mail)
    if part is None:
        return ""
    text = decoded_text(part)
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text.replace("\r\n", "\n").strip()


# Where the quoted history of a reply starts, in the common clients (en, ru, de).
HISTORY = re.compile(
    r"^(-{2,}\s*(original message|исходное сообщение|ursprüngliche nachricht)\s*-{2,}"
    r"|_{10,}"
    r"|(on|am|le)\s.{0,200}\s(wrote|schrieb|a écrit)\s*:"
    r"|.{0,200}\s(пишет|написал|написала|писал|писала)\s*:"
    r"|from:\s.+|от:\s.+)\s*$",
    re.IGNORECASE,
)


def reply_text(text: str) -> str:
    """The new words of a reply: the quoted history (`>` lines, "On … wrote:",
    "-----Original Message-----", an Outlook header block) and the signature (after
    "-- ") cut where recognisable. When nothing would remain, the whole text stays."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if line.rstrip("\r") in ("-- ", "--") or HISTORY.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    new = "\n".join(kept).strip()
    return new or text.strip()


# --- the files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Files:
    found: list[File] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)


def attachments(mail: EmailMessage, *, max_bytes: int, max_files: int) -> Files:
    """Every part that is not the text read for the entry and not an alternative of it:
    attachments, inline images, forwarded mails (as `.eml`). Parts above `max_bytes` are
    named in `too_large`; at most `max_files` are kept."""
    body = body_part(mail)
    files = Files()
    for index, part in enumerate(_leaves(mail)):
        if part is body or _is_alternative_text(part):
            continue
        content = _content_bytes(part)
        name = part.get_filename() or _default_name(part, index)
        if len(content) > max_bytes:
            files.too_large.append(name)
            continue
        if len(files.found) < max_files:
            files.found.append(File(name, part.get_content_type(), content))
    return files


def _leaves(mail: Message) -> Iterator[Message]:
    if mail.get_content_type() in ("message/rfc822", "message/global"):
        yield mail
        return
    if not mail.is_multipart():
        yield mail
        return
    payload = mail.get_payload()
    assert isinstance(payload, list)
    for part in payload:
        if isinstance(part, Message):
            yield from _leaves(part)


def _is_alternative_text(part: Message) -> bool:
    """A text part without a file name or an attachment disposition: the body's other
    rendering (HTML beside plain text), not a file the client sent."""
    return (
        part.get_content_maintype() == "text"
        and part.get_filename() is None
        and part.get_content_disposition() != "attachment"
    )


def _content_bytes(part: Message) -> bytes:
    if part.get_content_type() in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return bytes(inner[0].as_bytes(policy=email.policy.default))
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _default_name(part: Message, index: int) -> str:
    kind = part.get_content_type()
    extension = {
        "message/rfc822": "eml",
        "message/global": "eml",
        "text/plain": "txt",
        "text/html": "html",
        "application/pdf": "pdf",
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
    }.get(kind, "bin")
    return f"part-{index + 1}.{extension}"


# --- limits -------------------------------------------------------------------------------


def mail_size_limit(max_upload_bytes: int) -> int:
    """The largest mail the listener takes: a file of the attachment limit travels
    base64-encoded (4/3 of its size, plus line breaks), with room for the text."""
    encoded = (max_upload_bytes + 2) // 3 * 4
    return encoded + encoded // 76 * 2 + 1024 * 1024


def is_address(value: str) -> bool:
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError, TypeError):
        return False
    return "@" in value
