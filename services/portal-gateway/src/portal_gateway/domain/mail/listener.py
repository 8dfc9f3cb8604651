"""The inbound listener: an SMTP (or, with DESK_INBOUND_LMTP, LMTP) server on
DESK_INBOUND_SMTP_HOST:DESK_INBOUND_SMTP_PORT, in the gateway's own event loop, the way a
mail server hands mail to a help desk. A mail is answered 250 only once its bytes are
stored; mail above the size limit is refused with 552 before it is stored; a refusal
(an unknown sender) is a 5xx whose text the sending server puts in its bounce. What a
crash or a peer's absence left unprocessed is taken up by `sweep_mail`."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from desk_runtime.logging import get_logger
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service

from . import rules, service
from .imap import poll_mailbox

log = get_logger(__name__)

SWEEP_SECONDS = 5.0


class InboundHandler:
    """aiosmtpd's handler: every accepted DATA goes to `service.receive`."""

    def __init__(self, desk: Service, client: RpcClient) -> None:
        self.desk = desk
        self.client = client

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if not rules.is_address(address):
            return f"553 5.1.3 {address!r} is not a mail address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        try:
            outcome = await service.receive(
                self.desk,
                self.client,
                raw,
                envelope_from=envelope.mail_from or "",
                recipients=list(envelope.rcpt_tos),
            )
        except Exception as error:  # not stored: the sending server keeps it and retries
            log.exception("mail_not_stored", error=repr(error))
            answer = "451 4.3.0 the desk cannot take mail right now; try again later"
        else:
            answer = outcome.smtp_reply()
        if isinstance(server, LMTP):
            # LMTP answers DATA once per recipient.
            return "\r\n".join([answer] * max(1, len(envelope.rcpt_tos)))
        return answer


def listener_factory(desk: Service, client: RpcClient) -> Any:
    settings = desk.settings
    handler = InboundHandler(desk, client)
    protocol = LMTP if settings.inbound.lmtp else SMTP
    limit = rules.mail_size_limit(settings.blobs.max_upload_bytes)
    hostname = socket.getfqdn()

    def factory() -> SMTP:
        return protocol(
            handler,
            data_size_limit=limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="service-desk",
        )

    return factory


async def serve_mail(desk: Service, client: RpcClient) -> None:
    """The listener, for the life of the process (a background task of the gateway);
    port 0 turns it off."""
    settings = desk.settings
    if settings.inbound.smtp_port == 0:
        return
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        listener_factory(desk, client), settings.inbound.smtp_host, settings.inbound.smtp_port
    )
    log.info(
        "mail_listening",
        address=f"{settings.inbound.smtp_host}:{settings.inbound.smtp_port}",
        protocol="lmtp" if settings.inbound.lmtp else "smtp",
    )
    try:
        async with server:
            await server.serve_forever()
    finally:
        server.close()


async def sweep_mail(desk: Service, client: RpcClient) -> None:
    """Mail stored but not processed (a crash mid-way, a peer away) is processed again,
    as long as the process lives."""
    while True:
        while await service.sweep(desk, client):
            pass
        await asyncio.sleep(SWEEP_SECONDS)


async def run_mail(desk: Service) -> None:
    """The e-mail channel of a gateway process: the listener, the sweep and (with
    DESK_IMAP_URL) the mailbox's polling, asking the other services on a request/reply
    client of their own."""
    settings = desk.settings
    client = RpcClient(
        settings.amqp_url, settings.namespace, desk.name, settings.rpc_timeout_seconds
    )
    await client.connect(desk.connection)
    desk.rpc_clients.append(client)
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(serve_mail(desk, client))
            tasks.create_task(sweep_mail(desk, client))
            if settings.inbound.imap_url:
                tasks.create_task(poll_mailbox(desk, client))
    finally:
        if client in desk.rpc_clients:
            desk.rpc_clients.remove(client)
        await client.close()
