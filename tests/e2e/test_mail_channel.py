"""The e-mail channel end to end (SPEC §14): a real SMTP client (smtplib) delivers to the
gateway's real listener of a whole desk running as processes. A known client's mail
files an incident that is assigned, given deadlines and confirmed by a threaded mail;
replies come back by subject and by In-Reply-To; noise files nothing; an unknown sender
is refused — unless its domain is an organization's, whose new contact it becomes; the
same mail twice files once; the sender must be in the incident's scope; each mail's
original is an internal `.eml` that staff download and clients never see."""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from desk_runtime.testing import Infrastructure, Mailbox, drop_namespace, free_port, wait_until

from .conftest import RunningDesk, demo_id, poll_incident, start_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

DESK_FROM = "Service Desk <desk@support.example.com>"
INBOUND = "help@support.example.com"
GINA_PASSWORD = "globex-password-2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MAX_UPLOAD = 300_000
RESET_LINK = re.compile(r"/password-reset/([A-Za-z0-9_-]+)")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    running, log_file = await start_desk(
        infra,
        smtp_module[0],
        mail_from=DESK_FROM,
        inbound_address=INBOUND,
        inbound_smtp_port=free_port(),
        max_upload_bytes=MAX_UPLOAD,
    )
    try:
        yield running
    finally:
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


@pytest.fixture(scope="module")
def mailbox(smtp_module: tuple[int, Mailbox]) -> Mailbox:
    return smtp_module[1]


def deliver(desk: RunningDesk, raw: bytes, *, sender: str = "alice@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", desk.settings.inbound_smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, [INBOUND], raw)


def wire(message: Any) -> bytes:
    """The mail as it travels over SMTP: lines end with CRLF."""
    raw: bytes = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    return raw


async def send(desk: RunningDesk, message: Any, *, sender: str = "alice@example.com") -> None:
    await asyncio.to_thread(deliver, desk, wire(message), sender=sender)


def a_mail(
    text: str,
    *,
    sender: str = "Alice Client <alice@example.com>",
    subject: str = "Printer down",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = INBOUND
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example")
    message.set_content(text)  # (before the headers: it drops Content-* ones set earlier)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


async def mail_rows(desk: RunningDesk, where: str, *args: Any) -> list[asyncpg.Record]:
    """What became of mails, as the gateway recorded them (processing is over when the
    listener answers), in the order they came."""
    conn = await asyncpg.connect(desk.settings.database_url("portal-gateway"))
    try:
        sql = f"SELECT * FROM inbound_mail WHERE {where} ORDER BY received_at"
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def mail_row(desk: RunningDesk, message_id: str) -> asyncpg.Record:
    [row] = await mail_rows(desk, "mail_key = $1", message_id)
    return row


async def incident(desk: RunningDesk, token: str, incident_id: Any) -> dict[str, Any]:
    async with desk.client() as http:
        response = await http.get(
            f"/api/v1/incidents/{incident_id}", headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def texts(body: dict[str, Any]) -> list[str]:
    return [entry["text"] for entry in body["entries"]]


@dataclass
class Filed:
    tokens: dict[str, str]
    incident_id: str
    number: str
    confirmation: EmailMessage


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def filed(desk: RunningDesk, mailbox: Mailbox) -> Filed:
    """Alice writes in Windows-1251 with a PDF attached: the mail files an incident."""
    tokens = {"alice": await desk.token("alice"), "carl": await desk.token("carl")}
    admin = await desk.token("admin", "admin-e2e-password")
    tokens["admin"] = admin

    async def categories_known() -> bool:
        async with desk.client() as http:
            response = await http.get(
                "/api/v1/categories", headers={"authorization": f"Bearer {admin}"}
            )
        wanted = str(demo_id("category:fault/software"))
        return response.status_code == 200 and wanted in response.text

    await wait_until(categories_known, timeout=30, interval=0.2)

    message = MIMEMultipart("mixed")
    message["From"] = "Alice Client <alice@example.com>"
    message["To"] = INBOUND
    message["Subject"] = "Принтер не печатает счета"
    message["Message-ID"] = make_msgid(domain="client.example")
    message.attach(
        MIMEText("Здравствуйте!\nПринтер в бухгалтерии не печатает счета.", "plain", "windows-1251")
    )
    invoice = MIMEApplication(PDF, "pdf")
    invoice.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "счёт-42.pdf"))
    message.attach(invoice)
    await send(desk, message)

    row = await mail_row(desk, message["Message-ID"])
    assert row["status"] == "filed", row["reason"]
    incident_id = str(row["incident_id"])
    body = await poll_incident(
        desk,
        tokens["alice"],
        incident_id,
        lambda b: b["status"] == "assigned" and b["response_due"] and b["resolution_due"],
    )
    number = str(body["number"])

    def confirmation() -> EmailMessage | None:
        found = [m for m in mailbox.to("alice@example.com") if number in str(m["Subject"])]
        return found[0] if found else None

    mail: EmailMessage = await wait_until(confirmation, timeout=20)
    return Filed(tokens, incident_id, number, mail)


async def test_a_clients_mail_files_an_incident_with_its_text_and_file(
    desk: RunningDesk, filed: Filed
) -> None:
    body = await incident(desk, filed.tokens["alice"], filed.incident_id)
    assert body["channel"] == "email"
    assert body["title"] == "Принтер не печатает счета"
    assert body["description"] == "Здравствуйте!\nПринтер в бухгалтерии не печатает счета."
    assert body["requester_id"] == str(demo_id("user:alice"))
    assert body["category_id"] == str(demo_id("category:fault/software"))
    files = [a for entry in body["entries"] for a in entry["attachments"]]
    assert [(f["filename"], f["sniffed_type"], f["size"]) for f in files] == [
        ("счёт-42.pdf", "application/pdf", len(PDF))
    ]
    async with desk.client() as http:
        download = await http.get(
            files[0]["url"], headers={"authorization": f"Bearer {filed.tokens['alice']}"}
        )
    assert download.content == PDF


async def test_the_confirmation_is_threaded_and_answers_to_the_inbound_address(
    filed: Filed,
) -> None:
    mail = filed.confirmation
    root = f"<{filed.incident_id}@support.example.com>"
    assert f"[{filed.number}]" in str(mail["Subject"])
    assert str(mail["Message-ID"]).endswith("@support.example.com>")
    assert str(mail["Message-ID"]) != root
    assert mail["In-Reply-To"] == root
    assert mail["References"] == root
    assert mail["Reply-To"] == INBOUND
    assert mail["Auto-Submitted"] == "auto-generated"


async def test_a_reply_by_in_reply_to_alone_is_a_public_entry_without_the_quote(
    desk: RunningDesk, filed: Filed
) -> None:
    reply = a_mail(
        "It still fails after the restart.\n\n"
        "On Wed, 2 Dec 2026 at 10:00, Service Desk <desk@support.example.com> wrote:\n"
        "> We have registered your request.\n",
        subject="Still broken",
        In_Reply_To=str(filed.confirmation["Message-ID"]),
    )
    await send(desk, reply)
    row = await mail_row(desk, reply["Message-ID"])
    assert (row["status"], str(row["incident_id"])) == ("replied", filed.incident_id)
    body = await incident(desk, filed.tokens["alice"], filed.incident_id)
    entry = next(e for e in body["entries"] if e["text"] == "It still fails after the restart.")
    assert entry["visibility"] == "public"
    assert entry["author_id"] == str(demo_id("user:alice"))


async def test_a_reply_by_the_subject_reference_is_an_entry(
    desk: RunningDesk, filed: Filed
) -> None:
    reply = a_mail("Here is what the printer shows: E-42.", subject=f"Re: [{filed.number}] x")
    await send(desk, reply)
    row = await mail_row(desk, reply["Message-ID"])
    assert (row["status"], str(row["incident_id"])) == ("replied", filed.incident_id)
    body = await incident(desk, filed.tokens["alice"], filed.incident_id)
    assert "Here is what the printer shows: E-42." in texts(body)


async def test_an_auto_reply_and_a_bounce_file_nothing(desk: RunningDesk, filed: Filed) -> None:
    before = texts(await incident(desk, filed.tokens["alice"], filed.incident_id))
    auto = a_mail(
        "I am out of the office until Monday.",
        subject=f"Automatic reply: [{filed.number}] Принтер",
        Auto_Submitted="auto-replied",
    )
    await send(desk, auto)
    bounce_id = make_msgid(domain="client.example")
    bounce = (
        "From: Mail Delivery System <mailer-daemon@client.example>\r\n"
        f"To: {INBOUND}\r\n"
        f"Subject: Undelivered Mail Returned to Sender [{filed.number}]\r\n"
        f"Message-ID: {bounce_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.client.example\r\n\r\n"
        "Final-Recipient: rfc822; nobody@client.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n\r\n--b1--\r\n"
    ).encode()
    # The null envelope sender of a bounce.
    await asyncio.to_thread(deliver, desk, bounce, sender="")

    for message_id in (auto["Message-ID"], bounce_id):
        row = await mail_row(desk, message_id)
        assert row["status"] == "ignored"
        assert row["incident_id"] is None
    assert texts(await incident(desk, filed.tokens["alice"], filed.incident_id)) == before


async def test_an_unknown_sender_is_refused_with_the_reason(desk: RunningDesk) -> None:
    stranger = a_mail("Please help", sender="Stranger <stranger@nowhere.example>")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send(desk, stranger, sender="stranger@nowhere.example")
    assert refused.value.smtp_code == 550
    assert b"stranger@nowhere.example is not the address of a client" in refused.value.smtp_error
    # Refused again, the same way, when the server tries once more.
    with pytest.raises(smtplib.SMTPDataError):
        await send(desk, stranger, sender="stranger@nowhere.example")


async def test_the_same_mail_twice_files_once(desk: RunningDesk, filed: Filed) -> None:
    message = a_mail("The scanner jams on every page.", subject="Scanner zebrajam jams")
    await send(desk, message)
    await send(desk, message)  # the sending server did not hear our 250 and tries again
    row = await mail_row(desk, message["Message-ID"])
    assert row["status"] == "filed"
    async with desk.client() as http:
        found = await http.get(
            "/api/v1/incidents",
            params={"q": "zebrajam"},
            headers={"authorization": f"Bearer {filed.tokens['alice']}"},
        )
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [str(row["incident_id"])]


async def test_only_a_sender_in_the_incidents_scope_replies_on_it(
    desk: RunningDesk, filed: Filed
) -> None:
    # carl sees his organization's incidents: his mail is a reply on alice's.
    carls = a_mail(
        "Accounting confirms: every invoice fails.",
        sender="Карл Клиентов <carl@example.com>",
        subject=f"Re: [{filed.number}] Принтер",
    )
    await send(desk, carls, sender="carl@example.com")
    row = await mail_row(desk, carls["Message-ID"])
    assert (row["status"], str(row["incident_id"])) == ("replied", filed.incident_id)
    body = await incident(desk, filed.tokens["alice"], filed.incident_id)
    entry = next(e for e in body["entries"] if e["text"].startswith("Accounting confirms"))
    assert entry["author_id"] == str(demo_id("user:carl"))

    # A client of another organization naming the same incident files one of its own.
    admin = {"authorization": f"Bearer {filed.tokens['admin']}"}
    async with desk.client() as http:
        org = await http.post("/api/v1/organizations", headers=admin, json={"name": "Globex"})
        assert org.status_code == 201, org.text
        gina = await http.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "gina",
                "password": GINA_PASSWORD,
                "display_name": "Gina Globex",
                "email": "gina@globex.example",
                "role": "client",
                "organization_id": org.json()["id"],
                "scope": "organization",
            },
        )
        assert gina.status_code == 201, gina.text
    before = texts(await incident(desk, filed.tokens["alice"], filed.incident_id))
    ginas = a_mail(
        "Our printer is down too.",
        sender="Gina <gina@globex.example>",
        subject=f"Re: [{filed.number}] Принтер",
        In_Reply_To=str(filed.confirmation["Message-ID"]),
    )
    await send(desk, ginas, sender="gina@globex.example")
    row = await mail_row(desk, ginas["Message-ID"])
    assert row["status"] == "filed"
    assert str(row["incident_id"]) != filed.incident_id
    assert texts(await incident(desk, filed.tokens["alice"], filed.incident_id)) == before
    token = await desk.token("gina", GINA_PASSWORD)
    own = await incident(desk, token, row["incident_id"])
    assert own["organization_id"] == org.json()["id"]
    assert own["description"] == "Our printer is down too."


async def test_a_mail_above_the_limit_is_refused_with_552(desk: RunningDesk) -> None:
    big = a_mail("A large drawing attached.")
    big.add_attachment(b"\0" * (2 * MAX_UPLOAD), "application", "octet-stream", filename="a.bin")
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        await send(desk, big)
    assert refused.value.smtp_code == 552


async def test_an_unreadable_mail_is_quarantined_for_admins(
    desk: RunningDesk, filed: Filed
) -> None:
    await asyncio.to_thread(deliver, desk, b"\r\nno headers at all, only this line\r\n")
    async with desk.client() as http:
        listed = await http.get(
            "/api/v1/mail/quarantine",
            headers={"authorization": f"Bearer {filed.tokens['admin']}"},
        )
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [item["error"] for item in items] == ["the mail has no headers"]
        again = await http.post(
            f"/api/v1/mail/quarantine/{items[0]['mail_id']}/reprocess",
            headers={"authorization": f"Bearer {filed.tokens['admin']}"},
        )
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "quarantined"
        forbidden = await http.get(
            "/api/v1/mail/quarantine",
            headers={"authorization": f"Bearer {filed.tokens['alice']}"},
        )
    assert forbidden.status_code == 403


async def test_a_mailed_reply_resumes_work_waiting_on_the_client_and_a_closed_one_files_anew(
    desk: RunningDesk, filed: Filed
) -> None:
    alice, anna = filed.tokens["alice"], await desk.token("anna")
    first = a_mail("The report export hangs at 90 %.", subject="Report export hangs")
    await send(desk, first)
    row = await mail_row(desk, first["Message-ID"])
    assert row["status"] == "filed"
    incident_id = str(row["incident_id"])
    number = (await incident(desk, alice, incident_id))["number"]

    async def status(target: str, token: str = anna, **extra: str) -> None:
        async with desk.client() as http:
            response = await http.post(
                f"/api/v1/incidents/{incident_id}/status",
                headers={"authorization": f"Bearer {token}"},
                json={"status": target, **extra},
            )
        assert response.status_code == 200, response.text

    await status("in_progress")
    await status("waiting_on_client", reason="Which report?")
    answer = a_mail("The monthly one.", subject=f"RE: [{number}] We need your answer")
    await send(desk, answer)
    assert (await mail_row(desk, answer["Message-ID"]))["status"] == "replied"
    assert (await incident(desk, alice, incident_id))["status"] == "in_progress"

    await status("resolved")
    await status("closed", token=alice)
    late = a_mail("It hangs again.", subject=f"Re: [{number}] Resolved")
    await send(desk, late)
    row = await mail_row(desk, late["Message-ID"])
    assert row["status"] == "filed"
    assert str(row["incident_id"]) != incident_id
    assert "It hangs again." not in texts(await incident(desk, alice, incident_id))


# --- the original mail, kept internal ---------------------------------------------------


async def test_each_mails_original_is_an_eml_staff_download_and_clients_never_see(
    desk: RunningDesk, filed: Filed
) -> None:
    staff_view = await incident(desk, filed.tokens["admin"], filed.incident_id)
    originals = [
        (entry, file)
        for entry in staff_view["entries"]
        for file in entry["attachments"]
        if file["filename"].endswith(".eml")
    ]
    mailed = "incident_id = $1 AND status IN ('filed', 'replied')"
    stored = [bytes(r["raw"]) for r in await mail_rows(desk, mailed, filed.incident_id)]
    # The filing and every mailed reply before this test, each with its own original.
    assert len(originals) == len(stored) >= 3
    assert {entry["visibility"] for entry, _ in originals} == {"internal"}
    async with desk.client() as http:
        for (_, file), raw in zip(originals, stored, strict=True):
            download = await http.get(
                file["url"], headers={"authorization": f"Bearer {filed.tokens['admin']}"}
            )
            assert download.status_code == 200
            assert download.content == raw
            assert download.headers["content-disposition"].startswith("attachment")
            hidden = await http.get(
                file["url"], headers={"authorization": f"Bearer {filed.tokens['alice']}"}
            )
            assert hidden.status_code == 404
    clients_view = await incident(desk, filed.tokens["alice"], filed.incident_id)
    assert ".eml" not in str(clients_view)
    path = f"/incidents/{filed.incident_id}"
    name = originals[0][1]["filename"]
    assert name in await desk.page(path, "admin", "admin-e2e-password")
    assert ".eml" not in await desk.page(path, "alice")


# --- unknown senders of an organization's own domain ----------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def initech(desk: RunningDesk, filed: Filed) -> str:
    """An organization that lists its mail domain (as an admin types it)."""
    admin = {"authorization": f"Bearer {filed.tokens['admin']}"}
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/organizations",
            headers=admin,
            json={"name": "Initech", "mail_domains": [" Initech.Example "], "locale": "en"},
        )
    assert created.status_code == 201, created.text
    assert created.json()["mail_domains"] == ["initech.example"]
    return str(created.json()["id"])


async def contacts_of(desk: RunningDesk, token: str, organization_id: str) -> list[Any]:
    async with desk.client() as http:
        listed = await http.get(
            "/api/v1/users",
            params={"organization_id": organization_id},
            headers={"authorization": f"Bearer {token}"},
        )
    assert listed.status_code == 200, listed.text
    items: list[Any] = listed.json()["items"]
    return items


async def test_a_domain_that_is_none_is_refused_naming_the_field_in_russian(
    desk: RunningDesk, filed: Filed, initech: str
) -> None:
    async with desk.client() as http:
        http.cookies.set("desk_lang", "ru")  # the language switch: over the admin's own
        refused = await http.patch(
            f"/api/v1/organizations/{initech}",
            headers={"authorization": f"Bearer {filed.tokens['admin']}"},
            json={"mail_domains": ["initech.example", "initech example"]},
        )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": "mail_domains.1", "message": "это не доменное имя: initech example"}
    ]


async def test_an_unknown_sender_of_an_organizations_domain_is_filed_as_its_new_contact(
    desk: RunningDesk, mailbox: Mailbox, filed: Filed, initech: str
) -> None:
    admin = filed.tokens["admin"]
    first = a_mail(
        "Наш сканер не включается.",
        sender="Pat Smith <Pat@Initech.Example>",
        subject="Сканер не включается",
        Content_Language="ru-RU",
    )
    await send(desk, first, sender="pat@initech.example")
    await send(desk, first, sender="pat@initech.example")  # the same mail once more
    row = await mail_row(desk, first["Message-ID"])
    assert row["status"] == "filed", row["reason"]
    [pat] = await contacts_of(desk, admin, initech)
    assert [pat[k] for k in ("username", "display_name", "email")] == [
        "pat@initech.example", "Pat Smith", "pat@initech.example"
    ]  # fmt: skip
    assert [pat[k] for k in ("role", "scope", "locale", "active")] == ["client", "own", "ru", True]
    body = await poll_incident(
        desk,
        admin,
        str(row["incident_id"]),
        lambda b: b["status"] == "assigned" and b["response_due"] and b["resolution_due"],
    )
    assert [body[k] for k in ("requester_id", "organization_id", "channel")] == [
        pat["id"], initech, "email"
    ]  # fmt: skip
    number = str(body["number"])

    def confirmation() -> EmailMessage | None:
        found = [m for m in mailbox.to("pat@initech.example") if number in str(m["Subject"])]
        return found[0] if found else None

    confirmed: EmailMessage = await wait_until(confirmation, timeout=20)
    assert "Ваше обращение зарегистрировано" in str(confirmed["Subject"])

    # The contact's next mail, an answer to the confirmation, threads onto the incident.
    reply = a_mail(
        "Он включился после замены кабеля.",
        sender="Pat Smith <pat@initech.example>",
        subject="Re: scanner",
        In_Reply_To=str(confirmed["Message-ID"]),
    )
    await send(desk, reply, sender="pat@initech.example")
    replied = await mail_row(desk, reply["Message-ID"])
    assert (replied["status"], replied["incident_id"]) == ("replied", row["incident_id"])
    assert "Он включился после замены кабеля." in texts(
        await incident(desk, admin, str(row["incident_id"]))
    )
    assert len(await contacts_of(desk, admin, initech)) == 1

    # No password yet: the contact sets its first one with a reset link to its address.
    async with desk.client() as http:
        asked = await http.post("/api/v1/auth/password-reset", json={"login": pat["username"]})
        assert asked.status_code == 202, asked.text

        def link() -> str | None:
            bodies = [m.get_body(("plain",)).get_content() for m in mailbox.to(pat["email"])]  # type: ignore[union-attr]
            found = [f.group(1) for f in map(RESET_LINK.search, bodies) if f]
            return found[0] if found else None

        chosen = {"token": await wait_until(link), "new_password": "pat-chose-this-2026"}
        assert (await http.post("/api/v1/auth/password-reset/confirm", json=chosen)).is_success
    own = await desk.token(pat["username"], "pat-chose-this-2026")
    assert (await incident(desk, own, str(row["incident_id"])))["number"] == number


async def test_two_mails_racing_from_one_new_address_make_one_contact(
    desk: RunningDesk, filed: Filed, initech: str
) -> None:
    mails = [
        a_mail(f"Request {n} of two.", sender="Quinn <quinn@initech.example>", subject=f"Q {n}")
        for n in (1, 2)
    ]
    await asyncio.gather(*(send(desk, m, sender="quinn@initech.example") for m in mails))
    rows = [await mail_row(desk, m["Message-ID"]) for m in mails]
    assert [r["status"] for r in rows] == ["filed", "filed"]
    assert rows[0]["incident_id"] != rows[1]["incident_id"]
    quinns = [
        u for u in await contacts_of(desk, filed.tokens["admin"], initech) if "quinn" in u["email"]
    ]
    assert len(quinns) == 1
    assert quinns[0]["locale"] == "en"  # the organization's: the mails name no language
    assert {r["sender_id"] for r in rows} == {UUID(quinns[0]["id"])}


async def test_an_unknown_sender_of_an_unlisted_domain_is_still_refused(
    desk: RunningDesk, initech: str
) -> None:
    outsider = a_mail("Hello", sender="Sam <sam@initech.example.org>")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await send(desk, outsider, sender="sam@initech.example.org")
    assert refused.value.smtp_code == 550
    assert b"sam@initech.example.org is not the address of a client" in refused.value.smtp_error
