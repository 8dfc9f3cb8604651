"""The e-mail channel over HTTP (admins): the quarantine — mail that could not be read
or processed — listed, and a mail in it processed again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException

from ...accounts import User
from ...deps import Limit, Offset, gateway
from ...guards import admins_only, signed_in
from . import store
from .schemas import QuarantinedMail, QuarantinePage, Released
from .service import reprocess


class MailQuarantineController(Controller):
    path = "/api/v1/mail/quarantine"
    tags = ["mail"]
    guards = [signed_in, admins_only]

    @get("/", operation_id="listQuarantinedMail")
    async def quarantine(
        self, request: Request[Any, Any, Any], user: User, limit: Limit = 50, offset: Offset = 0
    ) -> QuarantinePage:
        """Mail in quarantine, newest first: who sent it, its size, and why it is there."""
        rows, total = await store.quarantined(gateway(request).pool, limit=limit, offset=offset)
        return QuarantinePage(
            items=[
                QuarantinedMail(
                    mail_id=r["mail_id"],
                    message_id=r["mail_key"],
                    envelope_from=r["envelope_from"],
                    recipients=list(r["recipients"]),
                    size=r["size"],
                    received_at=r["received_at"],
                    quarantined_at=r["quarantined_at"],
                    attempts=r["attempts"],
                    error=r["error"],
                )
                for r in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )

    @post("/{mail_id:uuid}/reprocess", operation_id="reprocessQuarantinedMail", status_code=200)
    async def reprocess(
        self, request: Request[Any, Any, Any], user: User, mail_id: UUID
    ) -> Released:
        """Takes a mail out of quarantine and processes it again (after a fix, or once a
        category exists to file under); answers with what became of it."""
        service = gateway(request)
        if not await store.release(service.pool, mail_id):
            raise NotFoundException("no such mail in quarantine")
        row = await reprocess(service, request.app.state.rpc, mail_id)
        return Released(
            mail_id=mail_id,
            status=row["status"],
            reason=row["reason"],
            incident_id=row["incident_id"],
        )
