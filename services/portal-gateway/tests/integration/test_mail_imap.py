"""Polling a real IMAP mailbox (Debian's dovecot, started here with a configuration of
its own) with the real gateway's database: every mail in the folder is taken as the
listener takes one and moved to the done folder; a second poll finds nothing, and the
same mail put there again is not processed twice."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import free_port, started
from portal_gateway.app import build_service
from portal_gateway.domain.mail.imap import poll_once

pytestmark = pytest.mark.integration

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "desk", "imap-secret-2026"

CONFIG = """
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
}}
"""


@dataclass(frozen=True)
class ImapServer:
    port: int

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(USER, PASSWORD)
        return imap

    def put(self, raw: bytes) -> None:
        imap = self.connect()
        try:
            status, _ = imap.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            imap.logout()

    def count(self, folder: str) -> int:
        imap = self.connect()
        try:
            status, data = imap.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" and data[0] else 0
        finally:
            imap.logout()


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    if not DOVECOT.exists() or os.geteuid() != 0:
        pytest.fail("needs Debian's dovecot-imapd and root (make imap installs it)")
    # Readable by the dovecot account that serves the mail (a pytest tmp_path is not).
    base = Path(tempfile.mkdtemp(prefix="desk-imap-", dir="/tmp"))
    base.chmod(0o755)
    for folder in ("run", "state", "mail"):
        (base / folder).mkdir()
    account = pwd.getpwnam("dovecot")
    os.chown(base / "mail", account.pw_uid, account.pw_gid)
    (base / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (base / "dovecot.conf").write_text(CONFIG.format(base=base, port=port))
    server = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(base / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ImapServer(port).connect().logout()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (base / "dovecot.log").read_text(errors="replace")
                    raise RuntimeError(f"dovecot did not start:\n{log}") from None
                time.sleep(0.1)
        yield ImapServer(port)
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def settings(desk_settings: DeskSettings, imap_server: ImapServer) -> DeskSettings:
    return desk_settings.replaced(
        **{
            "inbound_smtp_port": 0,
            "imap_url": f"imap://127.0.0.1:{imap_server.port}",
            "imap_user": USER,
            "imap_password": PASSWORD,
            "mail_from": "Service Desk <desk@support.example.com>",
        }
    )


@contextlib.asynccontextmanager
async def gateway(settings: DeskSettings) -> AsyncIterator[tuple[Service, RpcClient]]:
    async with started(build_service(settings)) as service:
        client = RpcClient(settings.amqp_url, settings.namespace, service.name, 5)
        await client.connect(service.connection)
        try:
            yield service, client
        finally:
            await client.close()


def wire(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def mail(sender: str, subject: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@support.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Words of the mail.")
    return message


async def test_every_mail_of_the_folder_is_taken_once_and_moved(
    settings: DeskSettings, imap_server: ImapServer
) -> None:
    stranger = mail("stranger@nowhere.example", "Please help")
    auto = mail("alice@example.com", "Out of office", Auto_Submitted="auto-replied")
    for raw in (wire(stranger), wire(auto), b"\r\nno headers at all\r\n"):
        await asyncio.to_thread(imap_server.put, raw)

    async with gateway(settings) as (service, client):
        assert await poll_once(service, client) == 3
        pool = service.pool
        rows = {
            r["mail_key"]: r["status"]
            for r in await pool.fetch("SELECT mail_key, status FROM inbound_mail")
        }
        assert rows[stranger["Message-ID"]] == "refused"
        assert rows[auto["Message-ID"]] == "ignored"
        assert sorted(rows.values()) == ["ignored", "quarantined", "refused"]
        assert await asyncio.to_thread(imap_server.count, "INBOX") == 0
        assert await asyncio.to_thread(imap_server.count, settings.inbound.imap_done_folder) == 3

        # Nothing left: a second poll takes nothing.
        assert await poll_once(service, client) == 0
        # The same mail put there again is moved, and not stored or processed twice.
        await asyncio.to_thread(imap_server.put, wire(stranger))
        assert await poll_once(service, client) == 1
        assert await pool.fetchval("SELECT count(*) FROM inbound_mail") == 3
        assert await asyncio.to_thread(imap_server.count, settings.inbound.imap_done_folder) == 4
