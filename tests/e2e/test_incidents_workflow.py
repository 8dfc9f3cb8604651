"""Working an incident through the real API: life cycle with its 409s, a client's reply
resuming work, reopen and rating, reclassification, files in and out, filters, Russian
and English full-text search, staff's counts, and bad input that writes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
from desk_runtime.testing import Mailbox, wait_until

from .conftest import RunningDesk, demo_id, poll_incident

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def _call(
    desk: RunningDesk, token: str, method: str, path: str, status: int = 200, **kwargs: Any
) -> Any:
    async with desk.client() as http:
        r = await http.request(method, path, headers={"authorization": f"Bearer {token}"}, **kwargs)
    assert r.status_code == status, r.text
    return r.json() if r.content else None


async def _file(desk: RunningDesk, token: str, **body: Any) -> dict[str, Any]:
    body.setdefault("category_id", str(demo_id("category:fault/software")))

    async def attempt() -> dict[str, Any] | None:
        async with desk.client() as http:
            r = await http.post(
                "/api/v1/incidents", headers={"authorization": f"Bearer {token}"}, json=body
            )
        if r.status_code == 422 and "category" in r.text:
            return None
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    created: dict[str, Any] = await wait_until(attempt, timeout=20, interval=0.2)
    return created


async def test_life_cycle_reply_reopen_and_rating(desk: RunningDesk) -> None:
    alice, anna = await desk.token("alice"), await desk.token("anna")
    incident = (await _file(desk, alice, title="Report export hangs"))["id"]
    path = f"/api/v1/incidents/{incident}"

    # Clients cannot move an open incident; the 409 names what is allowed.
    refused = await _call(desk, alice, "POST", f"{path}/status", 409, json={"status": "resolved"})
    assert refused["errors"][0]["field"] == "status"
    working = await _call(desk, anna, "POST", f"{path}/status", json={"status": "in_progress"})
    assert working["allowed_statuses"] == ["waiting_on_client", "resolved"]
    assert (await _call(desk, alice, "GET", path))["allowed_statuses"] == []
    await _call(
        desk,
        anna,
        "POST",
        f"{path}/status",
        json={"status": "waiting_on_client", "reason": "Which report?"},
    )
    bad = await _call(desk, anna, "POST", f"{path}/status", 409, json={"status": "closed"})
    assert "allowed: in_progress, resolved" in bad["detail"]

    reply = await _call(
        desk, alice, "POST", f"{path}/entries", 201, json={"text": "The monthly one"}
    )
    assert reply["status"] == "in_progress"
    await _call(desk, alice, "POST", f"{path}/rating", 409, json={"score": 5})
    await _call(desk, anna, "POST", f"{path}/status", json={"status": "resolved"})
    reopened = await _call(
        desk, alice, "POST", f"{path}/status", json={"status": "reopened", "reason": "Still hangs"}
    )
    assert reopened["status"] == "reopened"
    await _call(desk, anna, "POST", f"{path}/status", json={"status": "resolved"})
    rated = await _call(
        desk, alice, "POST", f"{path}/rating", json={"score": 4, "comment": "Quick"}
    )
    assert (rated["rating"], rated["rating_comment"]) == (4, "Quick")
    await _call(desk, alice, "POST", f"{path}/rating", 422, json={"score": 6})
    closed = await _call(desk, alice, "POST", f"{path}/status", json={"status": "closed"})
    assert closed["status"] == "closed"
    assert closed["closed_at"]

    texts = [e["text"] for e in closed["entries"] if e["kind"] == "status"]
    assert any("waiting_on_client to in_progress" in t for t in texts)
    assert any("Still hangs" in t for t in texts)
    # Every transition is an entry, in order.
    kinds = [e["kind"] for e in closed["entries"]]
    assert kinds.count("status") >= 7
    await _call(desk, alice, "POST", f"{path}/entries", 409, json={"text": "late"})


async def test_reclassification_and_bad_input_write_nothing(desk: RunningDesk) -> None:
    alice, anna = await desk.token("alice"), await desk.token("anna")
    incident = (await _file(desk, alice, title="Wrong bucket", priority="low"))["id"]
    path = f"/api/v1/incidents/{incident}"
    # Let assignment and deadlines (written by other services) land first, so any
    # difference below can only come from the refused requests.
    before = await poll_incident(
        desk,
        anna,
        incident,
        lambda body: {"assignment", "deadline"} <= {e["kind"] for e in body["entries"]},
    )
    await _call(desk, anna, "PATCH", path, 422, json={"category_id": str(demo_id("nothing"))})
    await _call(desk, anna, "PATCH", path, 422, json={"priority": "urgent", "title": ""})
    await _call(desk, anna, "PATCH", path, 422, json={})
    await _call(
        desk, anna, "POST", f"{path}/entries", 422, json={"text": "x", "visibility": "secret"}
    )
    await _call(desk, anna, "POST", f"{path}/entries", 422, json={"text": "   "})
    await _call(desk, anna, "POST", f"{path}/status", 422, json={"status": "done"})
    blank = await _call(
        desk,
        alice,
        "POST",
        "/api/v1/incidents",
        422,
        json={"title": " \t ", "category_id": str(demo_id("category:fault/software"))},
    )
    assert blank["errors"][0]["field"] == "title"
    async with desk.client() as http:
        empty = await http.patch(
            path,
            content=b"",
            headers={"authorization": f"Bearer {anna}", "content-type": "application/json"},
        )
    assert empty.status_code == 422, empty.text
    assert empty.json()["errors"][0]["field"] == "body"
    for loose in ({"score": True}, {"score": "5"}):
        typed = await _call(desk, alice, "POST", f"{path}/rating", 422, json=loose)
        assert typed["errors"][0]["field"] == "score"
    helen = await desk.token("helen")
    unsure = await _call(
        desk,
        helen,
        "POST",
        f"{path}/assign",
        422,
        json={"agent_id": str(demo_id("user:anna")), "override": "yes"},
    )
    assert unsure["errors"][0]["field"] == "override"
    admin = await desk.token("admin", "admin-e2e-password")
    nameless = await _call(
        desk,
        admin,
        "PATCH",
        f"/api/v1/organizations/{demo_id('organization:Acme Manufacturing')}",
        422,
        json={"name": "   "},
    )
    assert nameless["errors"][0]["field"] == "name"
    after = await _call(desk, anna, "GET", path)
    assert after["entries"] == before["entries"]
    assert after["priority"] == "low"

    # The channel counts against quotas: a client cannot claim to have phoned.
    claimed = await _call(
        desk,
        alice,
        "POST",
        "/api/v1/incidents",
        422,
        json={
            "title": "By phone, honestly",
            "category_id": str(demo_id("category:consultation")),
            "channel": "phone",
        },
    )
    assert claimed["errors"][0]["field"] == "channel"
    logged = await _file(
        desk,
        anna,
        title="Called in",
        channel="phone",
        requester_id=str(demo_id("user:alice")),
    )
    assert (await _call(desk, anna, "GET", f"/api/v1/incidents/{logged['id']}"))[
        "channel"
    ] == "phone"

    changed = await _call(
        desk,
        anna,
        "PATCH",
        path,
        json={"priority": "critical", "category_id": str(demo_id("category:consultation"))},
    )
    assert changed["priority"] == "critical"
    assert changed["category_path"] == ["consultation"]
    assert "priority from low to critical" in changed["entries"][-1]["text"]


async def test_files_are_stored_by_hash_sniffed_and_downloaded_safely(desk: RunningDesk) -> None:
    alice = await desk.token("alice")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    name = "Схема цеха №1.png"
    async with desk.client() as http:
        r = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {alice}"},
            data={
                "title": "Drawing attached",
                "category_id": str(demo_id("category:fault/hardware")),
            },
            files=[
                ("files", (name, png, "application/msword")),
                ("files", ("notes.html", b"<script>alert(1)</script>", "text/html")),
            ],
        )
    assert r.status_code == 201, r.text
    detail = await _call(desk, alice, "GET", f"/api/v1/incidents/{r.json()['id']}")
    files = [a for e in detail["entries"] for a in e["attachments"]]
    assert {(f["filename"], f["declared_type"], f["sniffed_type"]) for f in files} == {
        (name, "application/msword", "image/png"),
        ("notes.html", "text/html", "text/plain"),
    }
    drawing = next(f for f in files if f["filename"] == name)
    assert drawing["size"] == len(png)
    blob = desk.settings.blobs.dir / drawing["sha256"][:2] / drawing["sha256"]
    assert blob.read_bytes() == png
    async with desk.client() as http:
        download = await http.get(drawing["url"], headers={"authorization": f"Bearer {alice}"})
        html = await http.get(
            next(f["url"] for f in files if f["filename"] == "notes.html"),
            headers={"authorization": f"Bearer {alice}"},
        )
    assert download.status_code == 200
    assert download.content == png
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert html.headers["content-type"].startswith("application/octet-stream")
    assert html.headers["content-disposition"].startswith("attachment;")


def _blob(desk: RunningDesk, content: bytes) -> Path:
    sha256 = hashlib.sha256(content).hexdigest()
    return desk.settings.blobs.dir / sha256[:2] / sha256


async def _attachment_url(desk: RunningDesk, token: str, incident_id: str) -> str:
    detail = await _call(desk, token, "GET", f"/api/v1/incidents/{incident_id}")
    url: str = next(a["url"] for e in detail["entries"] for a in e["attachments"])
    return url


async def _download(desk: RunningDesk, token: str, url: str) -> httpx.Response:
    async with desk.client() as http:
        return await http.get(url, headers={"authorization": f"Bearer {token}"})


async def test_a_file_up_to_the_configured_limit_is_taken_past_the_frameworks_own(
    desk: RunningDesk,
) -> None:
    """The web framework refuses bodies over 10 MB unless told otherwise; the desk's limit
    (25 MiB by default) is the one that holds, for the API and the portal's forms."""
    alice = await desk.token("alice")
    scan = b"%PDF-1.7\n" + b"\x04" * 12_000_000
    async with desk.client() as http:
        r = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {alice}"},
            data={"title": "Scanned contract", "category_id": str(demo_id("category:fault"))},
            files={"files": ("contract.pdf", scan, "application/pdf")},
        )
    assert r.status_code == 201, r.text
    detail = await _call(desk, alice, "GET", f"/api/v1/incidents/{r.json()['id']}")
    (stored,) = [a for e in detail["entries"] for a in e["attachments"]]
    assert (stored["size"], stored["sha256"]) == (len(scan), hashlib.sha256(scan).hexdigest())
    async with desk.client() as http:
        huge_json = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {alice}", "content-type": "application/json"},
            content=b'{"title": "' + b"x" * 5_000_000 + b'"}',
        )
    assert huge_json.status_code == 413
    assert huge_json.json()["errors"][0]["field"] == "body"


async def test_files_filed_with_an_incident_are_no_reply_to_the_client(
    desk: RunningDesk, smtp_module: tuple[int, Mailbox]
) -> None:
    """Staff log a call for alice with a photo: the photo is part of the registration.
    She is told of the registration, not of a "reply", and the first response is the
    first answer written to her, not the filing."""
    mailbox = smtp_module[1]
    anna = await desk.token("anna")
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
    async with desk.client() as http:
        r = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {anna}"},
            data={
                "title": "Logged with a photo",
                "category_id": str(demo_id("category:fault/hardware")),
                "requester_id": str(demo_id("user:alice")),
                "channel": "phone",
            },
            files=[("files", ("photo.png", png, "image/png"))],
        )
    assert r.status_code == 201, r.text
    incident, number = r.json()["id"], r.json()["number"]
    path = f"/api/v1/incidents/{incident}"
    await _call(desk, anna, "POST", f"{path}/entries", 201, json={"text": "Looking at your photo."})

    def replies() -> list[Any]:
        return [
            m
            for m in mailbox.to("alice@example.com")
            if number in str(m["Subject"]) and "reply" in str(m["Subject"]).lower()
        ]

    # The photo's entry came first on the same queue: had it been a reply, it would be here.
    assert len(await wait_until(replies)) == 1
    answered = next(
        e["created_at"]
        for e in (await _call(desk, anna, "GET", path))["entries"]
        if e["kind"] == "comment"
    )

    async def response_clock() -> dict[str, Any] | None:
        async with desk.client() as http:
            got = await http.get(f"{path}/sla", headers={"authorization": f"Bearer {anna}"})
        if got.status_code != 200:
            return None
        clock: dict[str, Any] = next(c for c in got.json()["clocks"] if c["clock"] == "response")
        return clock if clock["actual_at"] else None

    clock = await wait_until(response_clock)
    assert clock["actual_at"] == answered


async def test_a_refused_upload_removes_only_the_blobs_it_wrote(desk: RunningDesk) -> None:
    alice = await desk.token("alice")
    auth = {"authorization": f"Bearer {alice}"}
    stored, fresh = b"stored before " + uuid4().bytes, b"new here " + uuid4().bytes
    await _file(desk, alice, title="Categories have reached intake")
    async with desk.client() as http:
        kept = await http.post(
            "/api/v1/incidents",
            headers=auth,
            data={"title": "Keeps its file", "category_id": str(demo_id("category:fault"))},
            files={"files": ("stored.bin", stored, "application/octet-stream")},
        )
        assert kept.status_code == 201, kept.text
        refused = await http.post(
            "/api/v1/incidents",
            headers=auth,
            data={"title": "Refused", "category_id": str(uuid4())},
            files=[
                ("files", ("again.bin", stored, "application/octet-stream")),
                ("files", ("fresh.bin", fresh, "application/octet-stream")),
            ],
        )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "category_id"
    # Its own new blob is gone; the one an earlier attachment uses is not.
    assert not _blob(desk, fresh).exists()
    download = await _download(desk, alice, await _attachment_url(desk, alice, kept.json()["id"]))
    assert download.status_code == 200
    assert download.content == stored


async def test_a_refused_upload_leaves_a_concurrent_one_of_the_same_bytes_whole(
    desk: RunningDesk,
) -> None:
    alice = await desk.token("alice")
    auth = {"authorization": f"Bearer {alice}"}
    payload = b"shared drawing " + uuid4().bytes
    await _file(desk, alice, title="Categories have reached intake")
    boundary = uuid4().hex
    rest_of_body = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        # The file part, then a pause before the (unknown) category arrives: the first
        # request has stored the blob and is still in flight while the second files.
        yield (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
                f"Refused later\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="files"; filename="first.bin"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + payload
            + f"\r\n--{boundary}\r\n".encode()
        )
        await rest_of_body.wait()
        yield (
            f'Content-Disposition: form-data; name="category_id"\r\n\r\n{uuid4()}\r\n'
            f"--{boundary}--\r\n"
        ).encode()

    async with desk.client() as first_http, desk.client() as second_http:
        first = asyncio.create_task(
            first_http.post(
                "/api/v1/incidents",
                headers={**auth, "content-type": f"multipart/form-data; boundary={boundary}"},
                content=body(),
            )
        )
        await wait_until(_blob(desk, payload).exists, timeout=20)
        second = await second_http.post(
            "/api/v1/incidents",
            headers=auth,
            data={"title": "Same drawing", "category_id": str(demo_id("category:fault"))},
            files={"files": ("second.bin", payload, "application/octet-stream")},
        )
        assert second.status_code == 201, second.text
        rest_of_body.set()
        refused = await first
    assert refused.status_code == 422, refused.text
    url = await _attachment_url(desk, alice, second.json()["id"])
    download = await _download(desk, alice, url)
    assert download.status_code == 200, download.text
    assert download.content == payload


async def test_an_idempotency_key_is_the_requesting_users_own(desk: RunningDesk) -> None:
    alice, carl = await desk.token("alice"), await desk.token("carl")
    await _file(desk, alice, title="Categories have reached intake")
    key = str(uuid4())
    title = f"Keyed {key}"
    body = {"title": title, "category_id": str(demo_id("category:fault"))}

    async def post(token: str) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}", "Idempotency-Key": key}
        async with desk.client() as http:
            r = await http.post("/api/v1/incidents", headers=headers, json=body)
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    # Carl's incident is outside Alice's scope (her own only): her equal key must not
    # hand her its id or number, nor swallow her request.
    carls, first, retried = await post(carl), await post(alice), await post(alice)
    assert first["id"] != carls["id"]
    assert first["number"] != carls["number"]
    assert retried == first
    await _call(desk, alice, "GET", f"/api/v1/incidents/{first['id']}")
    await _call(desk, alice, "GET", f"/api/v1/incidents/{carls['id']}", 404)
    mine = await _call(desk, alice, "GET", "/api/v1/incidents", params={"q": key})
    assert [i["id"] for i in mine["items"]] == [first["id"]]

    # The same key with a different request is refused, not answered with the first.
    async with desk.client() as http:
        changed = await http.post(
            "/api/v1/incidents",
            headers={"authorization": f"Bearer {alice}", "Idempotency-Key": key},
            json={**body, "title": f"{title}, reworded"},
        )
    assert changed.status_code == 409, changed.text
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    reply = {"authorization": f"Bearer {alice}", "Idempotency-Key": str(uuid4())}
    path = f"/api/v1/incidents/{first['id']}/entries"
    async with desk.client() as http:
        once = await http.post(path, headers=reply, json={"text": "Any news?"})
        again = await http.post(path, headers=reply, json={"text": "Any news?"})
        other = await http.post(path, headers=reply, json={"text": "Something else"})
    assert (once.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert again.json()["id"] == once.json()["id"]


async def test_filters_search_sorting_and_counts(desk: RunningDesk) -> None:
    carl, anna = await desk.token("carl"), await desk.token("anna")
    ru = (await _file(desk, carl, title="Принтеры не печатают накладные", priority="high"))["id"]
    en = (
        await _file(
            desk,
            carl,
            title="Printing invoices fails",
            category_id=str(demo_id("category:order/development")),
        )
    )["id"]

    async def ids(token: str, **params: Any) -> list[str]:
        page = await _call(desk, token, "GET", "/api/v1/incidents", params=params)
        return [i["id"] for i in page["items"]]

    # Stemming: "принтер" finds "Принтеры", "printed invoice" finds "Printing invoices".
    assert ru in await ids(carl, q="принтер")
    assert en in await ids(carl, q="printed invoice")
    assert ru not in await ids(carl, q="printed invoice")
    assert en in await ids(carl, category=str(demo_id("category:order")))
    assert ru not in await ids(carl, category=str(demo_id("category:order")))
    assert ru in await ids(carl, priority="high")
    assert en not in await ids(carl, priority="high")
    await _call(desk, anna, "POST", f"/api/v1/incidents/{en}/status", json={"status": "resolved"})
    assert en in await ids(anna, status="resolved")
    assert en not in await ids(anna, status=["new", "assigned"])
    assert en not in await ids(anna, overdue="true")
    await _call(desk, anna, "GET", "/api/v1/incidents", 422, params={"status": "nope"})
    await _call(desk, anna, "GET", "/api/v1/incidents", 422, params={"limit": 0})
    await _call(desk, anna, "GET", "/api/v1/incidents", 422, params={"sort": "title"})

    # Stable pagination: pages of one never repeat or skip.
    everything = await ids(anna, sort="created", limit=500)
    paged = [
        x
        for offset in range(len(everything))
        for x in await ids(anna, sort="created", limit=1, offset=offset)
    ]
    assert paged == everything
    newest_first = await ids(anna, sort="-created", limit=500)
    assert newest_first == list(reversed(everything))

    summary = await _call(desk, anna, "GET", "/api/v1/incidents/summary")
    assert summary["total"] == len(everything)
    dev = [g for g in summary["groups"] if g["category_path"] == ["order", "development"]]
    assert {(g["status"], g["count"]) for g in dev} >= {("resolved", 1)}
