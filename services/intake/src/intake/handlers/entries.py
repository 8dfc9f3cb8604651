"""Replies, internal notes and the files attached to them."""

from __future__ import annotations

from desk_contracts import ErrorItem, utc_now
from desk_contracts.enums import EntryKind, Status, Visibility
from desk_contracts.messages import AddEntry, AttachmentView, EntryCreated, GetAttachment
from desk_runtime.errors import Conflict, Invalid, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from ..domain import lifecycle, visibility
from ..history import transition, write_entry, write_original_mail
from ..idempotency import request_digest, same_request
from ..store import entries as store
from ..store import incidents as incident_store
from ..views import attachment_view, can_see, view_principal

handlers = Handlers()


@handlers.answers(AddEntry)
async def add_entry(query: AddEntry, service: Service) -> EntryCreated:
    """A reply or note (+ files); a client's reply while waiting on it resumes work."""
    principal = view_principal(query.principal)
    text = query.text.strip()
    async with service.transaction() as uow:
        row = await incident_store.incident_for_update(uow.conn, query.incident_id)
        if row is None or not can_see(principal, row):
            raise NotFound("incident not found")
        try:
            entry_visibility = visibility.entry_visibility_for(principal, query.visibility)
        except visibility.VisibilityNotAllowed as error:
            raise Invalid.field("visibility", "clients can only write public entries") from error
        if not text and not query.attachments:
            raise Invalid.field("text", "write a text or attach a file")
        article = None
        if query.article_id is not None and query.article_version is not None:
            if not visibility.may_link_article(principal, entry_visibility):
                raise Invalid.field("article_id", "only a public reply by staff links an article")
            article = (query.article_id, query.article_version)
        # The incident is part of it: a key reused on another incident is refused.
        digest = request_digest(
            row["id"],
            text,
            entry_visibility.value,
            [(f.filename, f.sha256) for f in query.attachments],
            *([query.original.sha256] if query.original is not None else []),
            # Only a linking reply names its article: older digests stay as they were.
            *([str(query.article_id)] if query.article_id else []),
        )
        done = await store.entry_by_request(uow.conn, query.request_id)
        if done is not None:
            same_request(done["request_digest"], digest)
            return EntryCreated(entry_id=done["id"], incident_id=row["id"], status=row["status"])
        status = Status(row["status"])
        if status is Status.CLOSED:
            raise Conflict(
                "the incident is closed; file a new one",
                errors=[ErrorItem(field="incident", message="closed incidents take no entries")],
            )
        now = utc_now()
        kind = EntryKind.COMMENT
        if not text:
            kind = EntryKind.ATTACHMENT
            text = "Attached: " + ", ".join(f.filename for f in query.attachments)
        entry_id = await write_entry(
            uow,
            row,
            kind=kind,
            visibility=entry_visibility,
            text=text,
            at=now,
            author_id=principal.user_id,
            author_role=principal.role,
            request_id=query.request_id,
            request_digest=digest,
            article=article,
            files=tuple(f.filename for f in query.attachments),
        )
        if query.attachments:
            await store.insert_attachments(uow.conn, row["id"], entry_id, query.attachments, now)
        if query.original is not None:
            await write_original_mail(uow, row, query.original, now, query.principal)
        # A public entry is what a client sees change: it moves their "updated".
        await incident_store.touch(
            uow.conn, row["id"], now, public=entry_visibility is Visibility.PUBLIC
        )
        if not principal.is_staff and (after := lifecycle.status_after_client_reply(status)):
            lifecycle.check_transition(status, after, lifecycle.Actor.SYSTEM)
            await transition(uow, row, after, now, reason="The client replied.")
            status = after
    return EntryCreated(entry_id=entry_id, incident_id=row["id"], status=status)


@handlers.answers(GetAttachment)
async def get_attachment(query: GetAttachment, service: Service) -> AttachmentView:
    """An attachment's metadata; 404 outside the scope or on an internal entry for
    a client (it inherits its entry's visibility)."""
    principal = view_principal(query.principal)
    row = await store.attachment_with_scope(service.pool, query.attachment_id)
    if (
        row is None
        or not can_see(principal, row)
        or not visibility.can_see_entry(principal, Visibility(row["visibility"]))
    ):
        raise NotFound("attachment not found")
    return attachment_view(row)
