"""The e-mail channel's use cases (SPEC §14): a mail is stored raw before the sending
server hears 250, then processed — a known client's mail files an incident (channel
`email`) or, when it names one of the client's incidents (`[INC-000123]` in the subject,
one of the desk's Message-IDs in In-Reply-To/References), a public reply on it, the
original `.eml` on an internal entry beside either; an unknown address of a domain an
organization owns first becomes a new contact of it; noise is ignored, other unknown
senders are refused, unreadable mail is quarantined. Filing and replies
go through the incidents area's own use cases (`file_incident`, `add_entry`), exactly as
the API's do; attachments through the blob store as portal uploads do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg
from desk_contracts.enums import Channel, Locale, Priority, Role, Visibility
from desk_contracts.messages import (
    AttachmentMeta,
    CategoryList,
    FindMailThread,
    IncidentPage,
    ListCategories,
    ListIncidents,
    MailThread,
)
from desk_runtime.logging import get_logger, log_context
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.service import Service
from litestar.exceptions import HTTPException
from pydantic import ValidationError

from ...accounts import User
from ...blobs import MAX_FILES, Blobs, Upload, blob_store, store_blob, store_file, upload_scope
from ...outage import OUTAGES
from ...web.i18n import translator
from ..accounts.mail_contacts import contact_for_mail, organization_of_domain
from ..incidents.schemas import NewIncident
from ..incidents.service import add_entry, file_incident, visible_incident
from . import contacts, rules, store

log = get_logger(__name__)

# A mail whose processing a peer's absence held up is tried again after this.
RETRY_DELAY = timedelta(seconds=10)

Status = Literal["filed", "replied", "ignored", "refused", "quarantined", "received", "deferred"]

RATE_WINDOW = timedelta(hours=1)

# What postpones a mail rather than quarantining it: a peer, the broker or the database
# out of reach for a moment.
NOT_NOW: tuple[type[Exception], ...] = (*OUTAGES, TimeoutError, OSError)


@dataclass(frozen=True)
class Outcome:
    """What became of one mail, and what the sending server hears."""

    status: Status
    reason: str = ""
    incident_id: UUID | None = None
    sender_id: UUID | None = None
    # The SMTP reply code for a refusal: 550 (a sender the desk does not know, mail it
    # will not take), 552 (too large).
    code: int = 550

    def smtp_reply(self) -> str:
        """The answer to DATA. Only a refusal is refused, and a mail over its sender's
        rate deferred (451: not stored, the sending server tries again later); mail that
        is stored (filed, ignored, quarantined, or to be retried by the desk itself) is
        250."""
        reason = _ascii(self.reason)
        if self.status == "refused":
            enhanced = "5.3.4" if self.code == 552 else "5.7.1"
            return f"{self.code} {enhanced} {reason or 'refused'}"
        if self.status == "deferred":
            return f"451 4.7.1 {reason or 'try again later'}"
        if self.status in ("filed", "replied"):
            return f"250 2.0.0 {reason}"
        return "250 2.0.0 Message accepted"


def _ascii(text: str) -> str:
    """SMTP answers are one ASCII line."""
    line = " ".join(text.split())
    return line.encode("ascii", "replace").decode("ascii")[:400]


def desk_domain(service: Service) -> str:
    """The domain of the desk's own Message-IDs (notify's: DESK_MAIL_FROM's domain)."""
    address = rules.address_of(service.settings.mail_from)
    return rules.domain_of(address) if "@" in address else "desk.local"


def own_addresses(service: Service) -> list[str]:
    settings = service.settings
    return [a for a in (settings.mail_from, settings.inbound_address) if a]


async def receive(
    service: Service,
    client: RpcClient,
    raw: bytes,
    *,
    envelope_from: str,
    recipients: list[str],
) -> Outcome:
    """One mail from the listener: stored (the same mail again is not stored twice),
    then processed at once; the outcome decides the SMTP answer. A sender over the
    hourly rate is deferred before anything is stored."""
    sender: str | None = None
    try:
        parsed = rules.parse(raw)
        key, sender = rules.mail_key(parsed, raw), rules.sender_address(parsed)
    except Exception:  # an unreadable mail is still kept, by its bytes
        key = rules.mail_key(EmailMessage(), raw)
    limit = service.settings.inbound_per_sender_hourly
    if (
        sender is not None
        and await store.known(service.pool, key) is None
        and await store.recent_from(service.pool, sender, RATE_WINDOW) >= limit
    ):
        log.warning("mail_deferred", sender=sender, limit=limit)
        return Outcome(
            "deferred", f"more than {limit} mails an hour from {sender}; try again later"
        )
    row, new = await store.store_mail(
        service.pool,
        mail_id=uuid4(),
        key=key,
        envelope_from=envelope_from,
        sender=sender,
        recipients=recipients,
        raw=raw,
    )
    if not new:
        log.info("mail_again", mail_id=row["id"], status=row["status"])
        if row["status"] == "refused":
            return Outcome("refused", row["reason"] or "")
        return Outcome("ignored", "already received")
    claimed = await store.claim(service.pool, row["id"])
    if claimed is None:  # taken by another processor meanwhile
        return Outcome("received")
    return await process(service, client, claimed)


async def process(service: Service, client: RpcClient, row: asyncpg.Record) -> Outcome:
    """A claimed mail's processing, its outcome recorded on its row. A peer away leaves
    it to be taken again (`sweep`); everything else is final."""
    with log_context(mail_id=row["id"]):
        try:
            outcome = await _process(service, client, row)
        except NOT_NOW as error:
            await store.postpone(service.pool, row["id"], f"to retry: {error}", RETRY_DELAY)
            log.warning("mail_postponed", error=str(error))
            return Outcome("received", str(error))
        except RemoteFailure as error:
            if error.failure.status >= 500:
                await store.postpone(service.pool, row["id"], error.failure.detail, RETRY_DELAY)
                return Outcome("received", error.failure.detail)
            outcome = Outcome("refused", error.failure.detail)
        except Exception as error:  # a mail we cannot process is kept for operators
            log.exception("mail_quarantined", error=repr(error))
            await store.quarantine(service.pool, row["id"], f"{type(error).__name__}: {error}")
            return Outcome("quarantined", str(error))
        if outcome.status == "quarantined":
            await store.quarantine(service.pool, row["id"], outcome.reason)
        elif outcome.status == "received":
            await store.postpone(service.pool, row["id"], outcome.reason, RETRY_DELAY)
        else:
            await store.record(
                service.pool,
                row["id"],
                outcome.status,
                outcome.reason,
                sender_id=outcome.sender_id,
                incident_id=outcome.incident_id,
            )
        log.info(
            "mail_processed",
            status=outcome.status,
            reason=outcome.reason,
            incident_id=outcome.incident_id,
        )
        return outcome


async def _process(service: Service, client: RpcClient, row: asyncpg.Record) -> Outcome:
    raw: bytes = row["raw"]
    try:
        mail = rules.parse(raw)
    except rules.Unreadable as error:
        return Outcome("quarantined", str(error))
    noise = rules.noise(mail, row["envelope_from"], own_addresses(service))
    if noise is not None:
        return Outcome("ignored", noise)
    address = rules.sender_address(mail)
    if address is None:
        return Outcome("refused", "the mail names no sender address (From)")
    sender = await _sender(service, mail, address)
    if isinstance(sender, Outcome):
        return sender
    settings = service.settings
    files = rules.attachments(mail, max_bytes=settings.max_upload_bytes, max_files=MAX_FILES)
    if files.too_large:
        return Outcome(
            "refused",
            f"{files.too_large[0]} is larger than the limit of {settings.max_upload_bytes} bytes",
            code=552,
            sender_id=sender.id,
        )
    text = rules.body_text(mail)
    mailed = Mailed(row["id"], text, files, _original(row, settings.max_upload_bytes))
    incident_id = await _answered_incident(client, sender, rules.thread(mail, desk_domain(service)))
    if incident_id is not None:
        replied = await _reply(client, sender, incident_id, mailed, blob_store(settings))
        if replied is not None:
            return replied
    return await _file(service, client, sender, mail, mailed, blob_store(settings))


async def _sender(service: Service, mail: EmailMessage, address: str) -> User | Outcome:
    """The one active client with the From address; for an address nobody has, of a
    domain an organization owns, a new contact of that organization (speaking the
    mail's language, else the organization's). Anyone else is refused."""
    users = await store.users_by_email(service.pool, address)
    clients = [User.from_row(u) for u in users if u["role"] == Role.CLIENT.value]
    if len(clients) > 1:
        return Outcome("refused", f"{address} belongs to several clients of this desk")
    if clients:
        return clients[0]
    if users:
        return Outcome(
            "refused", f"{address} belongs to staff: staff answer in the portal, not by mail"
        )
    unknown = Outcome("refused", f"{address} is not the address of a client of this desk")
    domain = contacts.domain_of(address)
    owner = await organization_of_domain(service.pool, domain) if domain else None
    if owner is None:
        return unknown
    contact = await contact_for_mail(
        service,
        organization_id=owner["id"],
        email=address,
        display_name=contacts.contact_name(rules.header(mail, "From"), address),
        locale=contacts.mail_language(mail) or Locale(owner["locale"]),
    )
    if contact is None:  # a deactivated account, or one made staff meanwhile
        return unknown
    log.info("mail_contact", user_id=contact.id, organization_id=owner["id"], domain=domain)
    return contact


@dataclass(frozen=True)
class Mailed:
    """What a person's mail brings to an incident: its text, its files, and its original
    (None when it is larger than a file may be: it stays in `inbound_mail` alone)."""

    mail_id: UUID
    text: str
    files: rules.Files
    original: rules.File | None


def _original(row: asyncpg.Record, max_bytes: int) -> rules.File | None:
    """The stored mail as an `.eml` file named by when it came, within the file limit."""
    raw = bytes(row["raw"])
    if len(raw) > max_bytes:
        log.warning("mail_original_too_large", size=len(raw), limit=max_bytes)
        return None
    return rules.File(f"mail-{row['received_at']:%Y%m%d-%H%M%S}.eml", "message/rfc822", raw)


async def _answered_incident(client: RpcClient, sender: User, thread: rules.Thread) -> UUID | None:
    """The first incident the mail names that the sender may see; None when it names
    none in the sender's scope (the mail then files a new incident: never a reply on
    someone else's). A desk Message-ID is a mail notify sent (notify knows its incident)
    or a thread's root (the incident itself)."""
    for desk_id in thread.desk_ids:
        sent = await client.ask_as(FindMailThread(delivery_id=desk_id), MailThread)
        candidate = sent.incident_id or desk_id
        try:
            return (await visible_incident(client, sender, candidate)).incident_id
        except RemoteFailure as error:
            if error.failure.status != 404:
                raise
    for number in thread.numbers:
        page = await client.ask_as(
            ListIncidents(principal=sender.principal, number=number, limit=1), IncidentPage
        )
        if page.items:
            return page.items[0].incident_id
    return None


async def _stored(mailed: Mailed, upload: Upload) -> AttachmentMeta | None:
    """The mail's files into the blob store, as the upload's; its original beside them
    (handed over apart: intake keeps it internal)."""
    for found in mailed.files.found:
        await store_file(upload, found.filename, found.content_type, found.content)
    original = mailed.original
    if original is None:
        return None
    return await store_blob(upload, original.filename, original.content_type, original.content)


async def _reply(
    client: RpcClient, sender: User, incident_id: UUID, mailed: Mailed, blobs: Blobs
) -> Outcome | None:
    """A public reply on the incident (it resumes one waiting on the client), the
    original on an internal entry beside it; None when intake will not take one (a
    closed incident: the mail then files a new one)."""
    upload = Upload(blobs)
    with upload_scope(upload) as scope:
        original = await _stored(mailed, upload)
        entry_text = rules.reply_text(mailed.text)
        if not entry_text and not mailed.files.found:
            entry_text = "(empty reply)"
        try:
            entry = await add_entry(
                client,
                sender,
                incident_id,
                entry_text,
                Visibility.PUBLIC,
                scope,
                request_id=uuid5(NAMESPACE_URL, f"mail:{mailed.mail_id}:entry:{incident_id}"),
                original=original,
            )
        except RemoteFailure as error:
            if error.failure.status == 409:
                log.info("mail_reply_refused", incident_id=incident_id, reason=error.failure.detail)
                return None
            raise
    return Outcome(
        "replied", f"reply on {incident_id}", incident_id=entry.incident_id, sender_id=sender.id
    )


async def _file(
    service: Service,
    client: RpcClient,
    sender: User,
    mail: EmailMessage,
    mailed: Mailed,
    blobs: Blobs,
) -> Outcome:
    assert sender.organization_id is not None
    category_id, priority = await _defaults(service, client, sender)
    if category_id is None:
        return Outcome("received", "no category to file under yet")
    try:
        data = NewIncident(
            title=rules.title(rules.header(mail, "Subject")),
            description=mailed.text[:1_000_000],
            category_id=category_id,
            priority=priority,
        )
    except ValidationError as error:
        return Outcome("quarantined", f"not a filing: {error}")
    upload = Upload(blobs)
    with upload_scope(upload) as scope:
        original = await _stored(mailed, upload)
        try:
            created = await file_incident(
                service,
                client,
                sender,
                data,
                scope,
                request_id=uuid5(NAMESPACE_URL, f"mail:{mailed.mail_id}:incident"),
                # SMTP answers are ASCII: a refusal reads in English.
                t=translator("en"),
                channel=Channel.EMAIL,
                original=original,
            )
        except HTTPException as error:  # the package refuses the channel (QuotaRefused)
            if 400 <= error.status_code < 500:
                return Outcome("refused", str(error.detail), sender_id=sender.id)
            raise
    return Outcome(
        "filed", f"filed as {created.number}", incident_id=created.incident_id, sender_id=sender.id
    )


async def _defaults(
    service: Service, client: RpcClient, sender: User
) -> tuple[UUID | None, Priority]:
    """The organization's category and priority for mail; without a category set, the
    first category of the tree."""
    assert sender.organization_id is not None
    row = await store.mail_defaults(service.pool, sender.organization_id)
    priority = Priority(row["mail_priority"]) if row is not None else Priority.NORMAL
    if row is not None and row["mail_category_id"] is not None:
        return row["mail_category_id"], priority
    tree = await client.ask_as(ListCategories(principal=sender.principal), CategoryList)
    first = min(tree.items, key=lambda c: c.path, default=None)
    return (first.category_id if first is not None else None), priority


async def sweep(service: Service, client: RpcClient, limit: int = 20) -> int:
    """Processes mail left over (a crash, a peer away when it came); how many."""
    rows = await store.claim_due(service.pool, limit)
    for row in rows:
        await process(service, client, row)
    return len(rows)


async def reprocess(service: Service, client: RpcClient, mail_id: UUID) -> asyncpg.Record:
    """A mail released from quarantine, processed now; its row afterwards."""
    claimed = await store.claim(service.pool, mail_id)
    if claimed is not None:
        await process(service, client, claimed)
    row = await store.mail(service.pool, mail_id)
    assert row is not None
    return row
