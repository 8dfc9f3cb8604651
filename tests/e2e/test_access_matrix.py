"""Who may touch what, through the real API: every incident-area route × every kind of
principal gives the expected status, and no byte of an internal entry ever appears in
any response a client receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from desk_runtime.testing import wait_until

from .conftest import RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SECRET = "internal-secret-zebra-7781"
SECRET_FILE = "internal-drawing-7781.pdf"
PASSWORD = "matrix-password-2026"


@dataclass
class World:
    tokens: dict[str, str]
    own: str  # alice's incident (carl may see it via organization scope)
    carls: str  # carl's own incident (alice must not see it)
    foreign: str  # an incident of another organization
    public_file: str
    internal_file: str
    internal_entry_text: str


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(desk: RunningDesk) -> World:
    admin = await desk.token("admin", "admin-e2e-password")
    async with desk.client() as http:
        auth = {"authorization": f"Bearer {admin}"}
        org = await _ok(
            await http.post("/api/v1/organizations", headers=auth, json={"name": "Globex"}), 201
        )
        await _ok(
            await http.post(
                "/api/v1/users",
                headers=auth,
                json={
                    "username": "gina",
                    "password": PASSWORD,
                    "display_name": "Gina Globex",
                    "role": "client",
                    "organization_id": org["id"],
                    "scope": "organization",
                },
            ),
            201,
        )
    tokens = {
        "alice": await desk.token("alice"),
        "carl": await desk.token("carl"),
        "anna": await desk.token("anna"),
        "admin": admin,
        "gina": await desk.token("gina", PASSWORD),
    }

    async def file(who: str, title: str) -> str:
        async def attempt() -> str | None:
            async with desk.client() as http:
                r = await http.post(
                    "/api/v1/incidents",
                    headers={"authorization": f"Bearer {tokens[who]}"},
                    json={"title": title, "category_id": str(demo_id("category:fault/software"))},
                )
            if r.status_code == 422:
                return None  # demo categories still on their way to intake
            return str((await _ok(r, 201))["id"])

        result: str = await wait_until(attempt, timeout=20, interval=0.2)
        return result

    own = await file("alice", "Scanner jams")
    carls = await file("carl", "Carl's private question")
    foreign = await file("gina", "Globex printer")
    staff = {"authorization": f"Bearer {tokens['anna']}"}
    async with desk.client() as http:
        internal = await _ok(
            await http.post(
                f"/api/v1/incidents/{own}/entries",
                headers=staff,
                data={"text": f"Note: {SECRET}", "visibility": "internal"},
                files={"files": (SECRET_FILE, b"%PDF-1.4 secret", "application/pdf")},
            ),
            201,
        )
        public = await _ok(
            await http.post(
                f"/api/v1/incidents/{own}/entries",
                headers=staff,
                data={"text": "Please try the new driver", "visibility": "public"},
                files={"files": ("driver-notes.txt", b"step 1", "text/plain")},
            ),
            201,
        )
    return World(
        tokens=tokens,
        own=own,
        carls=carls,
        foreign=foreign,
        public_file=public["attachments"][0],
        internal_file=internal["attachments"][0],
        internal_entry_text=SECRET,
    )


# principal → expected status per route; "other" = client of another organization.
PRINCIPALS = ("anonymous", "gina", "alice", "carl", "anna", "admin")


def _routes(w: World) -> list[tuple[str, str, dict[str, Any], dict[str, int]]]:
    """(method, path, json body, expected status by principal)."""
    deny = {"anonymous": 401}
    return [
        (
            "GET",
            f"/api/v1/incidents/{w.own}",
            {},
            {**deny, "gina": 404, "alice": 200, "carl": 200, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            f"/api/v1/incidents/{w.carls}",
            {},
            {**deny, "gina": 404, "alice": 404, "carl": 200, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            f"/api/v1/incidents/{w.foreign}",
            {},
            {**deny, "gina": 200, "alice": 404, "carl": 404, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            "/api/v1/incidents",
            {},
            {**deny, "gina": 200, "alice": 200, "carl": 200, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            "/api/v1/incidents/summary",
            {},
            {**deny, "gina": 403, "alice": 403, "carl": 403, "anna": 200, "admin": 200},
        ),
        (
            "POST",
            f"/api/v1/incidents/{w.carls}/entries",
            {"text": "hello"},
            {**deny, "gina": 404, "alice": 404, "carl": 201, "anna": 201, "admin": 201},
        ),
        (
            "POST",
            f"/api/v1/incidents/{w.foreign}/entries",
            {"text": "hi", "visibility": "internal"},
            {**deny, "gina": 422, "alice": 404, "carl": 404, "anna": 201, "admin": 201},
        ),
        (
            "POST",
            f"/api/v1/incidents/{w.foreign}/status",
            {"status": "closed"},
            {**deny, "gina": 409, "alice": 404, "carl": 404, "anna": 409, "admin": 409},
        ),
        (
            "PATCH",
            f"/api/v1/incidents/{w.foreign}",
            {"priority": "high"},
            {**deny, "gina": 403, "alice": 403, "carl": 403, "anna": 200, "admin": 200},
        ),
        (
            "POST",
            f"/api/v1/incidents/{w.foreign}/rating",
            {"score": 5},
            {**deny, "gina": 409, "alice": 404, "carl": 404, "anna": 403, "admin": 403},
        ),
        (
            "GET",
            f"/api/v1/attachments/{w.public_file}",
            {},
            {**deny, "gina": 404, "alice": 200, "carl": 200, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            f"/api/v1/attachments/{w.internal_file}",
            {},
            {**deny, "gina": 404, "alice": 404, "carl": 404, "anna": 200, "admin": 200},
        ),
        (
            "GET",
            "/api/v1/categories",
            {},
            {**deny, "gina": 200, "alice": 200, "carl": 200, "anna": 200, "admin": 200},
        ),
        (
            "POST",
            "/api/v1/categories",
            {"code": "x", "name": "X"},
            {**deny, "gina": 403, "alice": 403, "carl": 403, "anna": 403},
        ),
        (
            "GET",
            "/api/v1/users",
            {},
            {**deny, "gina": 403, "alice": 403, "carl": 403, "anna": 403, "admin": 200},
        ),
        (
            "GET",
            "/api/v1/organizations",
            {},
            {**deny, "gina": 403, "alice": 403, "carl": 403, "anna": 403, "admin": 200},
        ),
        (
            "GET",
            "/api/v1/me",
            {},
            {**deny, "gina": 200, "alice": 200, "carl": 200, "anna": 200, "admin": 200},
        ),
    ]


async def test_every_route_answers_each_principal_as_its_scope_allows(
    desk: RunningDesk, world: World
) -> None:
    failures = []
    async with desk.client() as http:
        for method, path, body, expected in _routes(world):
            for who, status in expected.items():
                headers = (
                    {} if who == "anonymous" else {"authorization": f"Bearer {world.tokens[who]}"}
                )
                response = await http.request(
                    method, path, headers=headers, json=body if method != "GET" else None
                )
                if response.status_code != status:
                    failures.append(
                        f"{who} {method} {path}: {response.status_code} ≠ {status} "
                        f"{response.text[:200]}"
                    )
    assert not failures, "\n".join(failures)


async def test_lists_search_and_counts_stay_inside_the_scope(
    desk: RunningDesk, world: World
) -> None:
    async def ids(who: str, **params: Any) -> set[str]:
        async with desk.client() as http:
            r = await http.get(
                "/api/v1/incidents",
                params=params,
                headers={"authorization": f"Bearer {world.tokens[who]}"},
            )
        body = await _ok(r)
        assert body["total"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    assert await ids("alice") == {world.own}
    assert await ids("carl") == {world.own, world.carls}
    assert await ids("gina") == {world.foreign}
    assert {world.own, world.carls, world.foreign} <= await ids("anna")
    # The internal note makes the incident findable for staff only.
    assert await ids("anna", q="zebra") == {world.own}
    assert await ids("alice", q="zebra") == set()
    assert await ids("carl", q="zebra") == set()
    assert await ids("alice", q="driver") == {world.own}


async def test_no_client_response_contains_internal_text(desk: RunningDesk, world: World) -> None:
    """Sweep every read route a client can call, in every scope."""
    paths = [
        "/api/v1/incidents",
        "/api/v1/incidents?q=zebra",
        "/api/v1/incidents?q=internal",
        "/api/v1/incidents?q=Note",
        f"/api/v1/incidents/{world.own}",
        f"/api/v1/incidents/{world.carls}",
        f"/api/v1/incidents/{world.foreign}",
        f"/api/v1/attachments/{world.internal_file}",
        f"/api/v1/attachments/{world.public_file}",
        "/api/v1/incidents/summary",
        "/api/v1/me",
    ]
    seen = 0
    async with desk.client() as http:
        for who in ("alice", "carl", "gina"):
            for path in paths:
                r = await http.get(path, headers={"authorization": f"Bearer {world.tokens[who]}"})
                seen += 1
                for secret in (SECRET, SECRET_FILE, world.internal_file, "secret", "Assigned:"):
                    assert secret not in r.text, f"{who} {path} leaked {secret!r}"
    assert seen == 33
    # Staff do see it, so the sweep above looked at something real.
    async with desk.client() as http:
        r = await http.get(
            f"/api/v1/incidents/{world.own}",
            headers={"authorization": f"Bearer {world.tokens['anna']}"},
        )
    assert SECRET in r.text
    assert SECRET_FILE in r.text
