"""Notifications through the real API and processes: each user's own preferences, and
the delivery log that staff and operators read (every attempt, the server's answer), and
the password reset link mailed to a user who forgot theirs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import asyncpg
import pytest
from desk_runtime.testing import Mailbox, wait_until

from .conftest import DEMO_PASSWORD, RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

PREFERENCES = "/api/v1/me/notification-preferences"


async def _get(desk: RunningDesk, token: str, path: str, **params: Any) -> Any:
    async with desk.client() as http:
        return await http.get(path, params=params, headers={"authorization": f"Bearer {token}"})


async def _put(desk: RunningDesk, token: str, path: str, body: Any) -> Any:
    async with desk.client() as http:
        return await http.put(path, json=body, headers={"authorization": f"Bearer {token}"})


async def test_each_user_reads_and_changes_their_own_preferences(desk: RunningDesk) -> None:
    alice = await desk.token("alice")
    anna = await desk.token("anna")

    defaults = await _get(desk, alice, PREFERENCES)
    assert defaults.status_code == 200, defaults.text
    body = defaults.json()
    assert body["sms_available"] is False
    table = {(p["event_kind"], p["channel"]): p["enabled"] for p in body["preferences"]}
    assert table == {
        (kind, channel): channel == "email"
        for kind in ("incident_registered", "public_reply", "waiting_on_client", "resolved")
        for channel in ("email", "sms")
    }
    staff = (await _get(desk, anna, PREFERENCES)).json()
    staff_kinds = {p["event_kind"] for p in staff["preferences"]}
    assert staff_kinds == {
        "incident_assigned",
        "public_reply",
        "reopened",
        "reminder",
        "escalation",
        "breach",
        "complaint",
        "low_rating",
        "quota_used_up",
    }

    changed = await _put(
        desk,
        alice,
        PREFERENCES,
        {"preferences": [{"event_kind": "public_reply", "channel": "email", "enabled": False}]},
    )
    assert changed.status_code == 200, changed.text
    reply = next(
        p
        for p in changed.json()["preferences"]
        if (p["event_kind"], p["channel"]) == ("public_reply", "email")
    )
    assert reply == {
        "event_kind": "public_reply",
        "channel": "email",
        "enabled": False,
        "chosen": True,
    }
    again = (await _get(desk, alice, PREFERENCES)).json()
    assert again == changed.json()
    # Another user's preferences are untouched.
    assert (await _get(desk, anna, PREFERENCES)).json() == staff


async def test_bad_preference_input_names_the_field_and_writes_nothing(desk: RunningDesk) -> None:
    alice = await desk.token("alice")
    before = (await _get(desk, alice, PREFERENCES)).json()
    outside_role = await _put(
        desk,
        alice,
        PREFERENCES,
        {
            "preferences": [
                {"event_kind": "resolved", "channel": "sms", "enabled": True},
                {"event_kind": "escalation", "channel": "email", "enabled": True},
            ]
        },
    )
    assert outside_role.status_code == 422
    assert [e["field"] for e in outside_role.json()["errors"]] == ["preferences.1.event_kind"]
    malformed = await _put(
        desk,
        alice,
        PREFERENCES,
        {"preferences": [{"event_kind": "resolved", "channel": "pigeon", "enabled": "maybe"}]},
    )
    assert malformed.status_code == 422
    fields = {e["field"] for e in malformed.json()["errors"]}
    assert any("channel" in f for f in fields)
    assert any("enabled" in f for f in fields)
    empty = await _put(desk, alice, PREFERENCES, {"preferences": []})
    assert empty.status_code == 422
    assert (await _get(desk, alice, PREFERENCES)).json() == before
    async with desk.client() as http:
        anonymous = await http.get(PREFERENCES)
    assert anonymous.status_code == 401


async def test_staff_see_every_delivery_with_its_attempts_and_clients_do_not(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp_module
    alice = await desk.token("alice")
    helen = await desk.token("helen")
    admin = await desk.token("admin", "admin-e2e-password")

    async def create() -> dict[str, str] | None:
        async with desk.client() as http:
            response = await http.post(
                "/api/v1/incidents",
                headers={"authorization": f"Bearer {alice}"},
                json={
                    "title": "Label printer offline",
                    "category_id": str(demo_id("category:fault/hardware")),
                },
            )
        if response.status_code == 422 and "category_id" in response.text:
            return None  # the demo categories are still on their way to intake
        assert response.status_code == 201, response.text
        created: dict[str, str] = response.json()
        return created

    created = await wait_until(create, timeout=20, interval=0.2)
    await wait_until(
        lambda: [
            m for m in mailbox.to("alice@example.com") if created["number"] in str(m["Subject"])
        ]
    )

    async def logged() -> dict[str, Any] | None:
        response = await _get(desk, helen, "/api/v1/notifications", incident_id=created["id"])
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        sent = [i for i in page["items"] if i["status"] == "sent"]
        return page if any(i["event_kind"] == "incident_registered" for i in sent) else None

    page = await wait_until(logged, timeout=20)
    confirmation = next(i for i in page["items"] if i["event_kind"] == "incident_registered")
    assert confirmation["recipient_id"] == str(demo_id("user:alice"))
    assert confirmation["address"] == "alice@example.com"
    assert confirmation["channel"] == "email"
    assert confirmation["locale"] == "en"
    assert created["number"] in confirmation["subject"]

    detail = await _get(desk, helen, f"/api/v1/notifications/{confirmation['id']}")
    assert detail.status_code == 200, detail.text
    attempts = detail.json()["attempts"]
    assert attempts[-1]["outcome"] == "sent"
    assert attempts[-1]["answer"]  # the SMTP server's own answer is kept
    assert created["number"] in detail.json()["body_text"]

    # Only a failed notification can be replayed, and only by an admin.
    async with desk.client() as http:
        sent_again = await http.post(
            f"/api/v1/notifications/{confirmation['id']}/retry",
            headers={"authorization": f"Bearer {admin}"},
        )
        by_head = await http.post(
            f"/api/v1/notifications/{confirmation['id']}/retry",
            headers={"authorization": f"Bearer {helen}"},
        )
    assert sent_again.status_code == 409
    assert by_head.status_code == 403

    # Clients are refused the log; unknown ids and bad filters are 404 and 422.
    assert (await _get(desk, alice, "/api/v1/notifications")).status_code == 403
    assert (
        await _get(desk, alice, f"/api/v1/notifications/{confirmation['id']}")
    ).status_code == 403
    missing = await _get(desk, helen, f"/api/v1/notifications/{demo_id('nothing')}")
    assert missing.status_code == 404
    bad = await _get(desk, helen, "/api/v1/notifications", incident_id="nope", status="lost")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} & {"incident_id", "status"}
    bad_status = await _get(desk, helen, "/api/v1/notifications", status="lost")
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"] == [
        {"field": "status", "message": "one of: pending, sending, sent, failed"}
    ]
    paged = await _get(desk, helen, "/api/v1/notifications", limit=1, offset=0)
    assert paged.status_code == 200
    assert len(paged.json()["items"]) == 1
    assert paged.json()["total"] >= 1


async def test_the_life_cycle_mails_each_side_once_and_never_an_internal_note(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    """Through the real API: intake's entries and status changes reach notify, which
    mails the other side in its language — and the client never sees the internal note."""
    _, mailbox = smtp_module
    carl = await desk.token("carl")  # a Russian-speaking client
    async with desk.client() as http:
        response = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {carl}"},
            json={
                "title": "Отчёт не открывается",
                "category_id": str(demo_id("category:consultation")),
            },
        )
    assert response.status_code == 201, response.text
    created = response.json()
    number, path = created["number"], f"/api/v1/incidents/{created['id']}"

    async def assignee() -> str | None:
        body = (await _get(desk, carl, path)).json()
        return body["assignee_id"] if body["status"] == "assigned" else None

    # Each agent reads mail in their own language: anna in English, boris in Russian.
    agents = {
        str(demo_id("user:anna")): ("anna", "New reply", "Reopened"),
        str(demo_id("user:boris")): ("boris", "Новый ответ", "Открыто снова"),
    }
    username, reply_subject, reopen_subject = agents[await wait_until(assignee, timeout=20)]
    staff = await desk.token(username)

    async def post(token: str, suffix: str, body: dict[str, str]) -> None:
        async with desk.client() as http:
            answer = await http.post(
                path + suffix, json=body, headers={"authorization": f"Bearer {token}"}
            )
        assert answer.status_code in (200, 201), answer.text

    def mails_to(address: str, subject: str = "") -> list[Any]:
        return [
            m
            for m in mailbox.to(address)
            if number in str(m["Subject"]) and subject in str(m["Subject"])
        ]

    carl_mail = "carl@example.com"
    note = {"text": "INTERNAL-NOTE: licence expired", "visibility": "internal"}
    await post(staff, "/entries", note)
    await post(staff, "/entries", {"text": "Перезапустите службу печати.", "visibility": "public"})
    await wait_until(lambda: mails_to(carl_mail, "Новый ответ"))

    await post(staff, "/status", {"status": "waiting_on_client", "reason": "need logs"})
    await wait_until(lambda: mails_to(carl_mail, "Требуется ваш ответ"))
    await post(carl, "/entries", {"text": "Логи во вложении."})
    await wait_until(lambda: mails_to(f"{username}@example.com", reply_subject))
    await post(staff, "/status", {"status": "resolved", "reason": "fixed"})
    resolved = (await wait_until(lambda: mails_to(carl_mail, "Решено")))[0]
    assert f"/incidents/{created['id']}#rating" in resolved.get_body(("plain",)).get_content()

    subjects = [str(m["Subject"]) for m in mails_to(carl_mail)]
    assert sum("Новый ответ" in s for s in subjects) == 1  # the public reply only
    assert len(subjects) == 4  # registered, reply, waiting on you, resolved
    for mail in mails_to(carl_mail):
        assert "INTERNAL-NOTE" not in mail.get_body(("plain",)).get_content()
    assert not mails_to("alice@example.com")  # a colleague of the requester is not told

    # The requester rates, then finds the fix did not hold: the reopen tells the assignee,
    # in their language, and the rating of the undone resolution no longer stands.
    await post(carl, "/rating", {"score": 5})
    await post(carl, "/status", {"status": "reopened", "reason": "снова не открывается"})
    reopened = (await wait_until(lambda: mails_to(f"{username}@example.com", reopen_subject)))[0]
    assert created["id"] in reopened.get_body(("plain",)).get_content()
    body = (await _get(desk, carl, path)).json()
    assert (body["status"], body["rating"]) == ("reopened", None)
    assert any("5/5" in e["text"] for e in body["entries"])  # the history keeps the line
    assert len(mails_to(carl_mail)) == 4  # the requester is not told of their own reopen


async def test_a_user_changes_their_own_profile_and_password(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    """Self-service through the API: name, phone and language; the password, with the
    current one asked, ending the user's other sessions. notify hears of the change."""
    _, mailbox = smtp_module
    admin = await desk.token("admin", "admin-e2e-password")
    async with desk.client() as http:
        alice = (
            await http.get(
                "/api/v1/me", headers={"authorization": f"Bearer {await desk.token('alice')}"}
            )
        ).json()
        created = await http.post(
            "/api/v1/users",
            headers={"authorization": f"Bearer {admin}"},
            json={
                "username": "dora",
                "password": DEMO_PASSWORD,
                "display_name": "Dora",
                "email": "dora@example.com",
                "role": "client",
                "organization_id": alice["organization_id"],
                "scope": "own",
            },
        )
    assert created.status_code == 201, created.text
    other_session = await desk.token("dora")
    dora = await desk.token("dora")
    me = "/api/v1/me"
    async with desk.client() as http:
        auth = {"authorization": f"Bearer {dora}"}
        changed = await http.patch(
            me, headers=auth, json={"display_name": "Dora D.", "locale": "ru", "phone": "+7 495 1"}
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["display_name"], changed.json()["locale"]) == ("Dora D.", "ru")
        bad = await http.patch(me, headers=auth, json={"email": "not-an-address"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "email"
        assert (await http.get(me, headers=auth)).json()["email"] == "dora@example.com"

        refused = await http.post(
            f"{me}/password",
            headers=auth,
            json={"current_password": "wrong", "new_password": "a-much-longer-secret"},
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "current_password"
        short = await http.post(
            f"{me}/password",
            headers=auth,
            json={"current_password": DEMO_PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 422
        assert short.json()["errors"][0]["field"] == "new_password"
        done = await http.post(
            f"{me}/password",
            headers=auth,
            json={"current_password": DEMO_PASSWORD, "new_password": "a-much-longer-secret"},
        )
        assert done.status_code == 204, done.text
        assert (await http.get(me, headers=auth)).status_code == 200  # this session stays
        ended = await http.get(me, headers={"authorization": f"Bearer {other_session}"})
        assert ended.status_code == 401
    assert await desk.token("dora", "a-much-longer-secret")

    # notify writes to Dora in Russian now: a reply on her incident says "Новый ответ".
    async with desk.client() as http:
        filed = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {dora}"},
            json={
                "title": "Профиль обновлён",
                "category_id": str(demo_id("category:consultation")),
            },
        )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    registered = await wait_until(
        lambda: [m for m in mailbox.to("dora@example.com") if number in str(m["Subject"])]
    )
    assert "Dora D." in registered[0].get_body(("plain",)).get_content()
    assert "Здравствуйте" in registered[0].get_body(("plain",)).get_content()


# --- a forgotten password: the link by e-mail (SPEC §7, issue 17 point 12) ----------------

RESET = "/api/v1/auth/password-reset"
NEW_PASSWORD = "a-new-password-for-rita"
LINK = re.compile(r"/password-reset/([A-Za-z0-9_-]+)")


async def _new_user(desk: RunningDesk, username: str, email: str, locale: str) -> str:
    admin = await desk.token("admin", "admin-e2e-password")
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/users",
            headers={"authorization": f"Bearer {admin}"},
            json={
                "username": username,
                "password": "the-first-password-2026",
                "display_name": username.title(),
                "email": email,
                "locale": locale,
                "role": "agent",
            },
        )
    assert created.status_code == 201, created.text
    user_id: str = created.json()["id"]
    return user_id


async def _ask(desk: RunningDesk, login: str) -> Any:
    async with desk.client() as http:
        return await http.post(RESET, json={"login": login})


async def _mailed_token(mailbox: Mailbox, address: str, seen: int) -> str:
    """The token of the next reset mail to `address` (after the `seen` already read)."""

    async def arrived() -> str | None:
        mails = mailbox.to(address)
        if len(mails) <= seen:
            return None
        found = LINK.search(mails[seen].get_body(("plain",)).get_content())  # type: ignore[union-attr]
        return found.group(1) if found else None

    token: str = await wait_until(arrived, timeout=20, interval=0.1)
    return token


async def _confirm(desk: RunningDesk, token: str, password: str = NEW_PASSWORD) -> Any:
    async with desk.client() as http:
        return await http.post(f"{RESET}/confirm", json={"token": token, "new_password": password})


async def test_a_reset_link_is_mailed_works_once_and_ends_every_session(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp_module
    rita = await _new_user(desk, "rita", "rita@example.com", "ru")
    old_token = await desk.token("rita", "the-first-password-2026")

    nobody = await _ask(desk, "nobody-at-all@example.com")
    asked = await _ask(desk, "Rita@Example.com")
    # The same answer whether or not such an account exists.
    assert asked.status_code == nobody.status_code == 202, asked.text
    assert asked.json() == nobody.json()

    token = await _mailed_token(mailbox, "rita@example.com", 0)
    mail = mailbox.to("rita@example.com")[0]
    assert "пароль" in str(mail["Subject"])
    assert "rita" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert not mailbox.to("nobody-at-all@example.com")

    # The delivery log shows that the mail went, never the link it carries.
    admin = await desk.token("admin", "admin-e2e-password")
    log = (await _get(desk, admin, "/api/v1/notifications", recipient_id=rita)).json()
    [delivery] = [n for n in log["items"] if n["event_kind"] == "password_reset"]
    shown = (await _get(desk, admin, f"/api/v1/notifications/{delivery['id']}")).json()
    assert shown["body_text"] is None
    assert token not in str(log) + str(shown)

    short = await _confirm(desk, token, "short")
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "new_password"

    assert (await _confirm(desk, token)).status_code == 204
    # Every session of the account ended; the new password opens a new one, the old none.
    assert (await _get(desk, old_token, "/api/v1/me")).status_code == 401
    await desk.token("rita", NEW_PASSWORD)
    async with desk.client() as http:
        refused = await http.post(
            "/api/v1/auth/token",
            json={"username": "rita", "password": "the-first-password-2026"},
        )
    assert refused.status_code == 401

    again = await _confirm(desk, token, "yet-another-password-2026")
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"field": "token", "message": "this link has already been used; ask for a new one"}
    ]
    await desk.token("rita", NEW_PASSWORD)


async def test_an_expired_or_superseded_link_sets_nothing(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    _, mailbox = smtp_module
    await _new_user(desk, "sven", "sven@example.com", "en")
    assert (await _ask(desk, "sven")).status_code == 202
    first = await _mailed_token(mailbox, "sven@example.com", 0)
    assert (await _ask(desk, "sven")).status_code == 202
    second = await _mailed_token(mailbox, "sven@example.com", 1)
    assert mailbox.to("sven@example.com")[1]["Subject"] == "Set a new password for the service desk"

    # A newer link voids the older one.
    superseded = await _confirm(desk, first)
    assert superseded.status_code == 422
    assert superseded.json()["errors"][0]["message"] == "this link has expired; ask for a new one"

    # The lifetime is the database's clock: move this link's end into the past.
    conn = await asyncpg.connect(desk.settings.database_url("portal-gateway"))
    try:
        await conn.execute(
            "UPDATE password_resets SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = $1",
            hashlib.sha256(second.encode()).digest(),
        )
    finally:
        await conn.close()
    expired = await _confirm(desk, second)
    assert expired.status_code == 422
    assert expired.json()["errors"][0]["field"] == "token"
    await desk.token("sven", "the-first-password-2026")

    unknown = await _confirm(desk, "no-such-token")
    assert unknown.json()["errors"][0]["message"] == "this link is not valid; ask for a new one"


async def test_reset_requests_are_throttled_alike_for_accounts_that_exist_or_not(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    await _new_user(desk, "tess", "tess@example.com", "en")
    for login in ("tess", "no-such-login"):
        answers = [await _ask(desk, login) for _ in range(3)]
        assert [a.status_code for a in answers] == [202, 202, 202]
        throttled = await _ask(desk, login)
        assert throttled.status_code == 429, throttled.text
        assert int(throttled.headers["retry-after"]) >= 1
    # Another login from the same address is still served.
    assert (await _ask(desk, "someone-else")).status_code == 202
