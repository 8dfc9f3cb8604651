"""Accounts and the gateway's defences, through real processes with short limits:
organization IP allow-lists, web sessions (cookie flags, CSRF, rotation, logout, idle
timeout), login throttling per account and per address, the upload size limit, and
resolved incidents closing themselves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from desk_runtime.testing import Infrastructure, Mailbox, drop_namespace, wait_until

from .conftest import RunningDesk, demo_id, start_desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ADMIN_PASSWORD = "admin-e2e-password"
PASSWORD = "security-password-2026"
UPLOAD_LIMIT = 100_000


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tight(
    infra: Infrastructure, smtp_module: tuple[int, Mailbox]
) -> AsyncIterator[RunningDesk]:
    running, log_file = await start_desk(
        infra,
        smtp_module[0],
        login_max_failures=3,
        login_window_seconds=4,
        session_idle_minutes=4 / 60,
        max_upload_bytes=UPLOAD_LIMIT,
        auto_close_days=2 / 86400,
    )
    try:
        yield running
    finally:
        await running.group.stop_all()
        log_file.close()  # type: ignore[attr-defined]
        await drop_namespace(running.settings)


async def _login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": password})


async def _file(desk: RunningDesk, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    async def attempt() -> httpx.Response | None:
        async with desk.client() as http:
            r = await http.post("/api/v1/incidents", headers=headers, **kwargs)
        if r.status_code == 422 and "unknown category" in r.text:
            return None
        return r

    response: httpx.Response = await wait_until(attempt, timeout=20, interval=0.2)
    return response


async def test_allow_list_refuses_its_clients_elsewhere_login_included(tight: RunningDesk) -> None:
    admin = {"authorization": f"Bearer {await tight.token('admin', ADMIN_PASSWORD)}"}
    async with tight.client() as http:
        bad = await http.post(
            "/api/v1/organizations",
            headers=admin,
            json={"name": "Initech", "ip_allow_list": ["10.0.0.1/8"]},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "ip_allow_list.0"
        org = await http.post(
            "/api/v1/organizations",
            headers=admin,
            json={"name": "Initech", "ip_allow_list": ["10.0.0.0/8", "2001:db8::/32"]},
        )
        assert org.status_code == 201, org.text
        org_id = org.json()["id"]
        user = await http.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "ivan",
                "password": PASSWORD,
                "display_name": "Ivan",
                "role": "client",
                "organization_id": org_id,
                "scope": "own",
            },
        )
        assert user.status_code == 201, user.text
        refused = await http.post(
            "/api/v1/auth/token", json={"username": "ivan", "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert (await _login(http, "ivan", PASSWORD)).status_code == 403
        # Staff are not bound by a client organization's list.
        assert (
            await http.post(
                "/api/v1/auth/token", json={"username": "anna", "password": "demo-desk-2026"}
            )
        ).status_code == 200

        opened = await http.patch(
            f"/api/v1/organizations/{org_id}",
            headers=admin,
            json={"ip_allow_list": ["127.0.0.0/8", "::1/128"]},
        )
        assert opened.json()["ip_allow_list"] == ["127.0.0.0/8", "::1/128"]
        token = await tight.token("ivan", PASSWORD)
        me = await http.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200
        # Narrowing the list applies to the very next request of an existing session.
        await http.patch(
            f"/api/v1/organizations/{org_id}", headers=admin, json={"ip_allow_list": ["10.0.0.0/8"]}
        )
        again = await http.get("/api/v1/incidents", headers={"authorization": f"Bearer {token}"})
        assert again.status_code == 403


async def test_web_session_cookie_csrf_rotation_and_logout(tight: RunningDesk) -> None:
    async with tight.client() as http:
        login = await _login(http, "alice", "demo-desk-2026")
        assert login.status_code == 200, login.text
        set_cookie = " ".join(login.headers.get_list("set-cookie")).lower()
        assert "httponly" in set_cookie
        assert "samesite=lax" in set_cookie
        first = http.cookies["desk_session"]
        csrf = login.json()["csrf_token"]
        assert http.cookies["desk_csrf"] == csrf
        assert (await http.get("/api/v1/me")).json()["username"] == "alice"

        body = {"title": "From the portal", "category_id": str(demo_id("category:consultation"))}
        forged = await http.post("/api/v1/incidents", json=body)
        assert forged.status_code == 403
        wrong = await http.post("/api/v1/incidents", json=body, headers={"x-csrf-token": "guess"})
        assert wrong.status_code == 403
        filed = await _file(
            tight, {"x-csrf-token": csrf, "cookie": f"desk_session={first}"}, json=body
        )
        assert filed.status_code == 201, filed.text
        form = await http.post(
            f"/api/v1/incidents/{filed.json()['id']}/entries",
            data={"text": "form post", "csrf_token": csrf},
            files={"files": ("a.txt", b"hello", "text/plain")},
        )
        assert form.status_code == 201, form.text
        no_token_form = await http.post(
            f"/api/v1/incidents/{filed.json()['id']}/entries",
            data={"text": "forged form"},
            files={"files": ("b.txt", b"forged", "text/plain")},
        )
        assert no_token_form.status_code == 403

        # Login again: a new session id; the old one is gone on the server.
        relogin = await _login(http, "alice", "demo-desk-2026")
        second = http.cookies["desk_session"]
        assert relogin.status_code == 200
        assert second != first
        old = await http.get("/api/v1/me", cookies={"desk_session": first})
        assert old.status_code == 401

        logout_forged = await http.post("/api/v1/auth/logout")
        assert logout_forged.status_code == 403
        out = await http.post(
            "/api/v1/auth/logout", headers={"x-csrf-token": relogin.json()["csrf_token"]}
        )
        assert out.status_code == 204
        assert (await http.get("/api/v1/me", cookies={"desk_session": second})).status_code == 401

    # Bearer tokens are exempt from CSRF and revoked by logout too.
    token = await tight.token("alice")
    async with tight.client() as http:
        auth = {"authorization": f"Bearer {token}"}
        assert (await http.post("/api/v1/auth/logout", headers=auth)).status_code == 204
        assert (await http.get("/api/v1/me", headers=auth)).status_code == 401


async def test_password_routes_take_only_json_so_no_other_site_can_log_a_browser_in(
    tight: RunningDesk,
) -> None:
    credentials = json.dumps({"username": "carl", "password": "demo-desk-2026"})
    # What a form on another site can send without a preflight: text/plain (a JSON text
    # in it), urlencoded, multipart, or no label at all.
    cross_site = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
    async with tight.client() as http:
        for route in ("/api/v1/auth/login", "/api/v1/auth/token"):
            for content_type in cross_site:
                headers = {"content-type": content_type} if content_type else {}
                r = await http.post(route, content=credentials, headers=headers)
                assert r.status_code == 415, (route, content_type, r.text)
                assert r.json()["errors"] == [
                    {"field": "content-type", "message": "must be application/json"}
                ]
                assert "set-cookie" not in r.headers
        assert not http.cookies
        labelled = await http.post(
            "/api/v1/auth/login",
            content=credentials,
            headers={"content-type": "application/json; charset=utf-8"},
        )
        assert labelled.status_code == 200, labelled.text
    # The portal's own form (with its login-CSRF token) still signs in.
    async with tight.client() as http:
        page = await http.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = await http.post(
            "/login",
            data={"username": "carl", "password": "demo-desk-2026", "csrf_token": token},
        )
        assert signed_in.status_code == 303, signed_in.text
        assert (await http.get("/api/v1/me")).json()["username"] == "carl"


async def test_idle_web_session_expires(tight: RunningDesk) -> None:
    async with tight.client() as http:
        assert (await _login(http, "carl", "demo-desk-2026")).status_code == 200
        cookie = http.cookies["desk_session"]

    async def expired() -> bool:
        async with tight.client() as http:
            return (
                await http.get("/api/v1/me", cookies={"desk_session": cookie})
            ).status_code == 401

    # Each check touches a live session, so check less often than the idle timeout.
    await wait_until(expired, timeout=30, interval=5.0)


async def test_upload_limit_gives_413_and_writes_nothing(tight: RunningDesk) -> None:
    token = await tight.token("alice")
    auth = {"authorization": f"Bearer {token}"}
    form = {"title": "Big file", "category_id": str(demo_id("category:fault"))}
    blobs_before = sorted(p.name for p in tight.settings.blobs.dir.rglob("*") if p.is_file())
    async with tight.client() as http:
        before = (await http.get("/api/v1/incidents", headers=auth)).json()["total"]
    too_big = await _file(
        tight,
        auth,
        data=form,
        files={"files": ("big.bin", b"\x01" * (UPLOAD_LIMIT + 1), "application/octet-stream")},
    )
    assert too_big.status_code == 413
    assert str(UPLOAD_LIMIT) in too_big.json()["detail"]
    async with tight.client() as http:
        assert (await http.get("/api/v1/incidents", headers=auth)).json()["total"] == before
    assert (
        sorted(p.name for p in tight.settings.blobs.dir.rglob("*") if p.is_file()) == blobs_before
    )
    fits = await _file(
        tight,
        auth,
        data=form,
        files={"files": ("fits.bin", b"\x02" * UPLOAD_LIMIT, "application/octet-stream")},
    )
    assert fits.status_code == 201, fits.text


async def test_a_too_large_file_in_the_portal_keeps_the_typed_text_and_names_the_limit(
    tight: RunningDesk,
) -> None:
    async with tight.client() as http:
        csrf = (await _login(http, "carl", "demo-desk-2026")).json()["csrf_token"]
        form = await http.get("/incidents/new")
        assert "97.7 KB" in form.text  # the form states the limit per file
        refused = await http.post(
            "/incidents/new",
            data={
                "csrf_token": csrf,
                "title": "Сканер не видит сеть",
                "description": "Со вчерашнего дня, журнал во вложении",
                "category_id": str(demo_id("category:fault")),
                "priority": "high",
            },
            files={"files": ("журнал.log", b"\x03" * (UPLOAD_LIMIT + 1), "text/plain")},
        )
    assert refused.status_code == 413
    page = refused.text
    assert "«журнал.log» больше допустимых 97.7 KB на файл" in page  # carl reads Russian
    assert "Сканер не видит сеть" in page
    assert "Со вчерашнего дня, журнал во вложении" in page


async def test_resolved_incidents_close_themselves(tight: RunningDesk) -> None:
    alice = {"authorization": f"Bearer {await tight.token('alice')}"}
    anna = {"authorization": f"Bearer {await tight.token('anna')}"}
    created = await _file(
        tight, alice, json={"title": "Close me", "category_id": str(demo_id("category:fault"))}
    )
    path = f"/api/v1/incidents/{created.json()['id']}"
    async with tight.client() as http:
        resolved = await http.post(f"{path}/status", headers=anna, json={"status": "resolved"})
        assert resolved.status_code == 200, resolved.text

    async def closed() -> dict[str, Any] | None:
        async with tight.client() as http:
            body: dict[str, Any] = (await http.get(path, headers=alice)).json()
        return body if body["status"] == "closed" else None

    body = await wait_until(closed, timeout=20, interval=0.3)
    # Other services' entries (deadlines, assignment) may land after it: look at them all.
    assert any("Closed automatically" in e["text"] for e in body["entries"])


async def test_failed_logins_are_throttled_per_account_and_address(tight: RunningDesk) -> None:
    async with tight.client() as http:
        for _ in range(3):
            r = await http.post(
                "/api/v1/auth/token", json={"username": "mike", "password": "wrong-password"}
            )
            assert r.status_code == 401
        blocked = await http.post(
            "/api/v1/auth/token", json={"username": "mike", "password": "demo-desk-2026"}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        # Another account from the same address is not affected by mike's failures.
        assert (
            await http.post(
                "/api/v1/auth/token", json={"username": "helen", "password": "demo-desk-2026"}
            )
        ).status_code == 200
    # Nor is mike himself at another address: a stranger's guesses lock out only the
    # stranger (every 127.x address is this machine's loopback).
    elsewhere = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=tight.base_url, transport=elsewhere) as http:
        assert (
            await http.post(
                "/api/v1/auth/token", json={"username": "mike", "password": "demo-desk-2026"}
            )
        ).status_code == 200

    async def released() -> bool:
        async with tight.client() as http:
            r = await http.post(
                "/api/v1/auth/token", json={"username": "mike", "password": "demo-desk-2026"}
            )
        return r.status_code == 200

    await wait_until(released, timeout=20, interval=0.5)


async def test_failed_logins_are_throttled_per_address(tight: RunningDesk) -> None:
    async with tight.client() as http:
        for n in range(12):
            r = await http.post(
                "/api/v1/auth/token", json={"username": f"nobody{n}", "password": "x"}
            )
            assert r.status_code == 401
        blocked = await http.post(
            "/api/v1/auth/token", json={"username": "helen", "password": "demo-desk-2026"}
        )
        assert blocked.status_code == 429

    async def released() -> bool:
        async with tight.client() as http:
            r = await http.post(
                "/api/v1/auth/token", json={"username": "helen", "password": "demo-desk-2026"}
            )
        return r.status_code == 200

    await wait_until(released, timeout=20, interval=0.5)


async def test_admin_manages_users(tight: RunningDesk) -> None:
    admin = {"authorization": f"Bearer {await tight.token('admin', ADMIN_PASSWORD)}"}
    async with tight.client() as http:
        incomplete = await http.post(
            "/api/v1/users",
            headers=admin,
            json={"username": "zoe", "password": PASSWORD, "display_name": "Zoe", "role": "client"},
        )
        assert incomplete.status_code == 422
        assert incomplete.json()["errors"][0]["field"] == "organization_id"
        short = await http.post(
            "/api/v1/users",
            headers=admin,
            json={"username": "zoe", "password": "short", "display_name": "Zoe", "role": "agent"},
        )
        assert short.status_code == 422
        assert short.json()["errors"][0]["field"] == "password"
        created = await http.post(
            "/api/v1/users",
            headers=admin,
            json={"username": "zoe", "password": PASSWORD, "display_name": "Zoe", "role": "agent"},
        )
        assert created.status_code == 201, created.text
        duplicate = await http.post(
            "/api/v1/users",
            headers=admin,
            json={"username": "ZOE", "password": PASSWORD, "display_name": "Z", "role": "agent"},
        )
        assert duplicate.status_code == 409
        zoe = created.json()["id"]
        token = await tight.token("zoe", PASSWORD)
        renamed = await http.patch(
            f"/api/v1/users/{zoe}", headers=admin, json={"display_name": "Zoe Z"}
        )
        assert renamed.json()["display_name"] == "Zoe Z"
        assert (await http.delete(f"/api/v1/users/{zoe}", headers=admin)).status_code == 204
        assert (
            await http.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
        ).status_code == 401
        listed = await http.get("/api/v1/users", headers=admin, params={"role": "agent"})
        assert {u["username"] for u in listed.json()["items"]} >= {"anna", "boris", "zoe"}


# --- CSRF cannot be skipped by labelling a body multipart ---------------------------------

MULTIPART_LABEL = {"content-type": "multipart/form-data; boundary=desk"}


async def test_multipart_label_does_not_skip_csrf_on_api_routes(tight: RunningDesk) -> None:
    alice = {"authorization": f"Bearer {await tight.token('alice')}"}
    created = await _file(
        tight, alice, json={"title": "Forged close", "category_id": str(demo_id("category:fault"))}
    )
    path = f"/api/v1/incidents/{created.json()['id']}"
    async with tight.client() as http:
        csrf = (await _login(http, "anna", "demo-desk-2026")).json()["csrf_token"]
        # Litestar reads a JSON `data:` from any body: the label must not excuse the token.
        forged = await http.post(
            f"{path}/status", content=json.dumps({"status": "resolved"}), headers=MULTIPART_LABEL
        )
        assert forged.status_code == 403
        assert forged.json() == {"detail": "missing or wrong CSRF token", "errors": []}
        assert (await http.get(path)).json()["status"] not in ("resolved", "closed")
        # A real multipart form to a route that does not read one is no better (whichever
        # comes first: the missing token, or a body that is not JSON).
        as_form = await http.post(f"{path}/status", files={"status": (None, "resolved")})
        assert as_form.status_code in (403, 422)
        assert (await http.get(path)).json()["status"] not in ("resolved", "closed")

        allowed = await http.post(
            f"{path}/status", json={"status": "resolved"}, headers={"x-csrf-token": csrf}
        )
        assert allowed.status_code == 200, allowed.text
        # The upload routes read the token from the form themselves, and still demand it.
        reply = await http.post(
            f"{path}/entries", data={"text": "with files", "csrf_token": csrf}, files=_one_file()
        )
        assert reply.status_code == 201, reply.text
        unsigned = await http.post(f"{path}/entries", data={"text": "forged"}, files=_one_file())
        assert unsigned.status_code == 403


def _one_file() -> dict[str, tuple[str, bytes, str]]:
    return {"files": ("note.txt", b"hello", "text/plain")}


async def _organization_names(http: httpx.AsyncClient, admin: dict[str, str]) -> set[str]:
    listed = await http.get("/api/v1/organizations", headers=admin, params={"limit": 500})
    assert listed.status_code == 200, listed.text
    return {o["name"] for o in listed.json()["items"]}


async def test_multipart_label_does_not_skip_csrf_on_web_forms(tight: RunningDesk) -> None:
    admin = {"authorization": f"Bearer {await tight.token('admin', ADMIN_PASSWORD)}"}
    async with tight.client() as http:
        csrf = (await _login(http, "admin", ADMIN_PASSWORD)).json()["csrf_token"]
        forged = await http.post("/admin/organizations/new", files={"name": (None, "Forged Ltd")})
        assert forged.status_code == 403
        assert "Forged Ltd" not in await _organization_names(http, admin)

        # The browser's own form: urlencoded, the token in a hidden field.
        saved = await http.post(
            "/admin/organizations/new", data={"name": "Proper Ltd", "csrf_token": csrf}
        )
        assert saved.status_code == 303, saved.text
        assert "Proper Ltd" in await _organization_names(http, admin)


# --- NUL characters in forms --------------------------------------------------------------

NUL_MESSAGE = "must not contain the NUL character"


def _multipart(*parts: tuple[str, str | None, str | None, bytes]) -> bytes:
    """A multipart body written by hand (httpx escapes control characters in file names):
    (field name, file name, content type, content) per part."""
    out = b""
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += f"--desk\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type is not None:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + b"--desk--\r\n"


async def test_nul_in_multipart_input_is_a_422_naming_the_field(tight: RunningDesk) -> None:
    alice = {"authorization": f"Bearer {await tight.token('alice')}"}
    category = str(demo_id("category:fault")).encode()
    async with tight.client() as http:
        before = (await http.get("/api/v1/incidents", headers=alice)).json()["total"]
        cases = {
            "title": _multipart(
                ("title", None, None, b"a\x00b"), ("category_id", None, None, category)
            ),
            "files": _multipart(
                ("title", None, None, b"NUL in a file name"),
                ("category_id", None, None, category),
                ("files", "a\x00b.txt", "text/plain", b"hello"),
            ),
        }
        for field, body in cases.items():
            r = await http.post(
                "/api/v1/incidents", headers={**alice, **MULTIPART_LABEL}, content=body
            )
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == field
            assert NUL_MESSAGE in r.json()["errors"][0]["message"]
        typed = await http.post(
            "/api/v1/incidents",
            headers={**alice, **MULTIPART_LABEL},
            content=_multipart(
                ("title", None, None, b"NUL in a content type"),
                ("category_id", None, None, category),
                ("files", "a.txt", "text/pl\x00ain", b"hello"),
            ),
        )
        assert typed.status_code == 422
        assert typed.json()["errors"][0]["field"] == "files"
        # JSON labelled multipart, to a route that parses JSON, is still looked through.
        labelled = await http.post(
            f"/api/v1/incidents/{uuid4()}/status",
            headers={**alice, **MULTIPART_LABEL},
            content=json.dumps({"status": "closed", "reason": "a\u0000b"}),
        )
        assert labelled.status_code == 422, labelled.text
        assert labelled.json()["errors"] == [{"field": "reason", "message": NUL_MESSAGE}]
        assert (await http.get("/api/v1/incidents", headers=alice)).json()["total"] == before


async def test_nul_in_web_forms_is_refused_before_saving(tight: RunningDesk) -> None:
    admin = {"authorization": f"Bearer {await tight.token('admin', ADMIN_PASSWORD)}"}
    async with tight.client() as http:
        csrf = (await _login(http, "admin", ADMIN_PASSWORD)).json()["csrf_token"]
        refused = await http.post(
            "/admin/organizations/new", data={"name": "Nul\x00Corp", "csrf_token": csrf}
        )
        assert refused.status_code == 422
        assert f"name: {NUL_MESSAGE}" in refused.text
        assert not any(n.startswith("Nul") for n in await _organization_names(http, admin))

    async with tight.client() as http:
        csrf = (await _login(http, "alice", "demo-desk-2026")).json()["csrf_token"]
        form = await http.post(
            "/incidents/new",
            data={
                "csrf_token": csrf,
                "title": "a\x00b",
                "category_id": str(demo_id("category:fault")),
                "priority": "normal",
            },
            files=_one_file(),
        )
        assert form.status_code == 422
        assert NUL_MESSAGE in form.text


# --- the throttle holds under parallel attempts --------------------------------------------


async def test_parallel_wrong_passwords_are_throttled_like_serial_ones(tight: RunningDesk) -> None:
    async with tight.client() as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/auth/token", json={"username": "boris", "password": f"wrong-{n}"}
                )
                for n in range(30)
            )
        )
        codes = sorted(r.status_code for r in answers)
        # login_max_failures=3: only three passwords were ever checked.
        assert codes.count(401) <= 3
        assert codes.count(401) + codes.count(429) == 30
        refused = await http.post(
            "/api/v1/auth/token", json={"username": "boris", "password": "demo-desk-2026"}
        )
        assert refused.status_code == 429

    async def released() -> bool:
        async with tight.client() as http:
            r = await http.post(
                "/api/v1/auth/token", json={"username": "boris", "password": "demo-desk-2026"}
            )
        return r.status_code == 200

    await wait_until(released, timeout=20, interval=0.5)
