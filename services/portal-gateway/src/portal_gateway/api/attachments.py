"""Downloads: always as an attachment, never sniffed, and only within the caller's
scope (an attachment of an internal entry does not exist for a client)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.messages import AttachmentView, GetAttachment
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Stream

from ..accounts import User
from ..blobs import blob_store
from ..security import content_disposition
from .deps import current_user, rpc

# Types the gateway itself recognised in the bytes may be announced; anything else is
# served as opaque bytes (the declared type is the client's claim, not a fact).
ANNOUNCED_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


class AttachmentController(Controller):
    path = "/api/v1/attachments"
    tags = ["attachments"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get(
        "/{attachment_id:uuid}",
        operation_id="downloadAttachment",
        media_type="application/octet-stream",
    )
    async def download(
        self, request: Request[Any, Any, Any], attachment_id: UUID, user: User, client: RpcClient
    ) -> Stream:
        """The file, with Content-Disposition: attachment and X-Content-Type-Options: nosniff."""
        meta = await client.ask_as(
            GetAttachment(principal=user.principal, attachment_id=attachment_id), AttachmentView
        )
        service: Service = request.app.state.service
        store = blob_store(service.settings)
        if not await store.exists(meta.sha256):
            raise NotFoundException("the file is missing from the store")
        media_type = (
            meta.sniffed_type
            if meta.sniffed_type in ANNOUNCED_TYPES
            else "application/octet-stream"
        )
        return Stream(
            store.read(meta.sha256),
            media_type=media_type,
            headers={
                "Content-Disposition": content_disposition(meta.filename),
                "X-Content-Type-Options": "nosniff",
                "Content-Length": str(meta.size),
                "Cache-Control": "private, no-store",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )
