"""Least-loaded routing through real processes, with two routing instances consuming the
same queues: 500 incidents registered concurrently, the backlog draining in order,
assignment by hand and the load board. (Escalation moving work to someone else, driven
by a real SLA timer, is in test_sla_api.)"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter, defaultdict
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from desk_contracts.enums import Presence
from desk_runtime.testing import free_port, wait_until

from .conftest import RunningDesk, demo_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

INCIDENTS = 500
CATEGORIES = ("fault/software", "order/development", "consultation")
# (name, skills, capacity, how many): equal agents share skills and capacity.
FLEET: tuple[tuple[str, tuple[tuple[str, ...], ...], int, int], ...] = (
    ("generalist-big", ((),), 80, 2),
    ("generalist-small", ((),), 40, 2),
    ("fault", (("fault",),), 60, 3),
    ("order-consult", (("order",), ("consultation",)), 70, 3),
)
ANNA, BORIS = demo_id("user:anna"), demo_id("user:boris")


# Filled by the first test: the fleet's user ids → (group name, capacity).
FLEET_IDS: dict[UUID, tuple[str, int]] = {}


def fleet_ids() -> dict[UUID, tuple[str, int]]:
    assert FLEET_IDS, "the fleet is created by the first test of this module"
    return FLEET_IDS


async def create_fleet(http: httpx.AsyncClient, admin: str) -> None:
    """Agents are staff users with a profile, made through the admin API."""
    for name, skills, capacity, count in FLEET:
        for n in range(count):
            user = await http.post(
                "/api/v1/users",
                headers=auth(admin),
                json={
                    "username": f"{name}-{n}",
                    "password": "fleet-password-2026",
                    "display_name": f"{name} {n}",
                    "email": f"{name}-{n}@example.com",
                    "role": "agent",
                },
            )
            assert user.status_code == 201, user.text
            agent_id = UUID(user.json()["id"])
            profile = await http.put(
                f"/api/v1/agents/{agent_id}",
                headers=auth(admin),
                json={
                    "skills": [list(skill) for skill in skills],
                    "capacity": capacity,
                    "presence": "online",
                    "group_head_id": str(demo_id("user:helen")),
                },
            )
            assert profile.status_code == 200, profile.text
            assert profile.json()["load"] == 0
            FLEET_IDS[agent_id] = (name, capacity)


async def patient(send: Any) -> httpx.Response:
    """A request retried while the answering service is busy (503): a heavily loaded
    2-core machine may keep a request waiting longer than the gateway's timeout."""
    for _ in range(10):
        response: httpx.Response = await send()
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.5)
    return response


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def routing_db(desk: RunningDesk) -> asyncpg.Connection:
    connection: asyncpg.Connection = await asyncpg.connect(desk.settings.database_url("routing"))
    return connection


async def set_presence(
    http: httpx.AsyncClient, token: str, agent_id: UUID, presence: Presence
) -> httpx.Response:
    return await http.put(
        f"/api/v1/agents/{agent_id}/presence", headers=auth(token), json={"presence": presence}
    )


async def file_incident(
    http: httpx.AsyncClient, token: str, category: str, priority: str = "normal"
) -> str:
    key = str(uuid4())  # the same key on a retry files the incident once
    response = await patient(
        lambda: http.post(
            "/api/v1/incidents",
            headers={**auth(token), "Idempotency-Key": key},
            json={
                "title": f"{category} {priority}",
                "category_id": str(demo_id(f"category:{category}")),
                "priority": priority,
            },
        )
    )
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["id"]
    return incident_id


async def incident(http: httpx.AsyncClient, token: str, incident_id: str) -> dict[str, Any]:
    response = await patient(
        lambda: http.get(f"/api/v1/incidents/{incident_id}", headers=auth(token))
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def backlog(http: httpx.AsyncClient, token: str) -> list[str]:
    response = await http.get("/api/v1/agents/backlog", headers=auth(token))
    assert response.status_code == 200, response.text
    return [item["incident_id"] for item in response.json()["items"]]


async def test_500_concurrent_incidents_with_two_routing_instances(desk: RunningDesk) -> None:
    health_port = free_port()
    await desk.group.start(
        "routing-2",
        [sys.executable, "-m", "routing"],
        env={"DESK_HEALTH_PORT": str(health_port)},
    )
    async with desk.client() as http:

        async def second_ready() -> bool:
            try:
                response = await http.get(f"http://127.0.0.1:{health_port}/readyz")
            except httpx.TransportError:
                return False
            return response.status_code == 200

        await wait_until(second_ready, timeout=60, interval=0.2)
        admin = await desk.token("admin", "admin-e2e-password")
        # The demo agents step aside (the seed reaches routing through the broker).
        for agent in (ANNA, BORIS):

            async def offline(agent: UUID = agent) -> bool:
                response = await set_presence(http, admin, agent, Presence.OFFLINE)
                return response.status_code == 200

            await wait_until(offline)
        await create_fleet(http, admin)
    fleet = fleet_ids()
    db = await routing_db(desk)
    try:

        async def fleet_online() -> bool:
            rows = await db.fetchval(
                "SELECT count(*) FROM agents WHERE presence = 'online' AND agent_id = ANY($1)",
                list(fleet),
            )
            return bool(rows == len(fleet))

        await wait_until(fleet_online)

        client = await desk.token("alice")
        gate = asyncio.Semaphore(8)
        async with desk.client() as http:

            async def one(n: int) -> str:
                async with gate:
                    return await file_incident(http, client, CATEGORIES[n % len(CATEGORIES)])

            created = await asyncio.gather(*(one(n) for n in range(INCIDENTS)))
        ids = [UUID(value) for value in created]
        assert len(set(ids)) == INCIDENTS

        async def all_assigned() -> bool:
            count = await db.fetchval(
                "SELECT count(*) FROM assignments WHERE incident_id = ANY($1)", ids
            )
            return bool(count == INCIDENTS)

        await wait_until(all_assigned, timeout=120, interval=0.25)
        rows = await db.fetch(
            "SELECT incident_id, agent_id FROM assignments WHERE incident_id = ANY($1)", ids
        )
        routed = {row["incident_id"]: row["agent_id"] for row in rows}
        assert set(routed.values()) <= set(fleet)
        assert await db.fetchval("SELECT count(*) FROM backlog") == 0

        # Loads agree with the assignments, never exceed capacity, and equal agents'
        # loads differ by at most one.
        per_agent = Counter(routed.values())
        agents = {
            row["agent_id"]: row
            for row in await db.fetch("SELECT * FROM agents WHERE agent_id = ANY($1)", list(fleet))
        }
        groups: dict[str, list[int]] = defaultdict(list)
        for agent_id, (name, capacity) in fleet.items():
            assert agents[agent_id]["load"] == per_agent[agent_id]
            assert per_agent[agent_id] <= capacity
            groups[name].append(per_agent[agent_id])
        for name, group_loads in groups.items():
            assert max(group_loads) - min(group_loads) <= 1, (name, group_loads)
        assert sum(per_agent.values()) == INCIDENTS
    finally:
        await db.close()

    # Both routing instances took part.
    async with desk.client() as http:
        for port in (desk.settings.service_port("routing"), health_port):
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            handled = [
                line
                for line in metrics.splitlines()
                if line.startswith("desk_messages_consumed_total")
                and "incident.registered" in line
                and 'outcome="ok"' in line
            ]
            assert handled, f"routing on port {port} handled no registrations"
            assert float(handled[0].rsplit(" ", 1)[1]) > 0

        # Intake recorded exactly one assignee and one assignment entry per incident,
        # the one routing chose; the load board shows the same loads.
        staff = await desk.token("helen")
        gate = asyncio.Semaphore(8)

        async def check(incident_id: UUID) -> None:
            async with gate:

                async def recorded() -> dict[str, Any] | None:
                    body = await incident(http, staff, str(incident_id))
                    return body if body["assignee_id"] else None

                body = await wait_until(recorded, timeout=60, interval=0.2)
            assert body["assignee_id"] == str(routed[incident_id])
            assert body["status"] == "assigned"
            entries = [e for e in body["entries"] if e["kind"] == "assignment"]
            assert len(entries) == 1
            assert "eligible" in entries[0]["text"]

        await asyncio.gather(*(check(incident_id) for incident_id in ids))
        board = await http.get("/api/v1/agents", headers=auth(staff), params={"limit": 100})
        assert board.status_code == 200, board.text
        shown = {UUID(item["id"]): item for item in board.json()["items"]}
        for agent_id, (_, capacity) in fleet.items():
            assert shown[agent_id]["load"] == per_agent[agent_id]
            assert shown[agent_id]["capacity"] == capacity
            assert shown[agent_id]["presence"] == "online"
            assert shown[agent_id]["last_assigned_at"] is not None
        assert shown[ANNA]["username"] == "anna"
        assert shown[ANNA]["presence"] == "offline"
    await desk.group.stop("routing-2")


async def test_backlog_drains_in_order_as_agents_come_online_or_gain_capacity(
    desk: RunningDesk,
) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    client = await desk.token("carl")
    anna = await desk.token("anna")
    async with desk.client() as http:
        for agent in fleet_ids():
            response = await set_presence(http, admin, agent, Presence.OFFLINE)
            assert response.status_code == 200, response.text
        filed = {
            priority: await file_incident(http, client, "complaint", priority)
            for priority in ("low", "normal", "critical", "high")
        }
        expected = [filed[p] for p in ("critical", "high", "normal", "low")]

        async def waiting_with_deadlines() -> dict[str, Any] | None:
            response = await http.get("/api/v1/agents/backlog", headers=auth(admin))
            page: dict[str, Any] = response.json()
            known = all(item["resolution_due"] for item in page["items"])
            return page if page["total"] == 4 and known else None

        page = await wait_until(waiting_with_deadlines)
        assert [item["incident_id"] for item in page["items"]] == expected
        assert [item["position"] for item in page["items"]] == [1, 2, 3, 4]

        # Anna learns complaints with room for one, then comes online herself.
        changed = await http.patch(
            f"/api/v1/agents/{ANNA}",
            headers=auth(admin),
            json={"skills": [["complaint"]], "capacity": 1},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["presence"] == "offline"
        assert await backlog(http, admin) == expected
        online = await set_presence(http, anna, ANNA, Presence.ONLINE)
        assert online.status_code == 200, online.text
        assert online.json()["load"] == 1
        assert await backlog(http, admin) == expected[1:]
        body = await incident(http, admin, filed["critical"])
        assert body["assignee_id"] in (None, str(ANNA))  # intake records it shortly

        # More capacity takes the next two, in order.
        more = await http.patch(f"/api/v1/agents/{ANNA}", headers=auth(admin), json={"capacity": 3})
        assert more.status_code == 200, more.text
        assert more.json()["load"] == 3
        assert await backlog(http, admin) == expected[3:]

        # Boris coming online takes the last.
        assert (await set_presence(http, admin, BORIS, Presence.ONLINE)).status_code == 200
        assert await backlog(http, admin) == []
        for priority, agent in (
            ("critical", ANNA),
            ("high", ANNA),
            ("normal", ANNA),
            ("low", BORIS),
        ):

            async def assigned(incident_id: str = filed[priority]) -> str | None:
                value: str | None = (await incident(http, admin, incident_id))["assignee_id"]
                return value

            assert await wait_until(assigned) == str(agent)


async def test_assignment_by_hand_respects_capacity_unless_a_head_overrides(
    desk: RunningDesk,
) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    helen = await desk.token("helen")
    anna = await desk.token("anna")
    alice = await desk.token("alice")
    async with desk.client() as http:
        # Anna is full (3/3) with complaints from the backlog test.
        board = await http.get(f"/api/v1/agents/{ANNA}", headers=auth(helen))
        assert board.status_code == 200, board.text
        assert board.json()["load"] >= board.json()["capacity"]
        incident_id = await file_incident(http, alice, "consultation")
        url = f"/api/v1/incidents/{incident_id}/assign"

        full = await http.post(url, headers=auth(helen), json={"agent_id": str(ANNA)})
        assert full.status_code == 409, full.text
        assert "capacity" in full.json()["detail"]
        not_allowed = await http.post(
            url, headers=auth(anna), json={"agent_id": str(ANNA), "override": True}
        )
        assert not_allowed.status_code == 403
        by_client = await http.post(url, headers=auth(alice), json={"agent_id": str(ANNA)})
        assert by_client.status_code == 403
        unknown_agent = await http.post(
            url, headers=auth(helen), json={"agent_id": str(demo_id("nobody"))}
        )
        assert unknown_agent.status_code == 422
        assert unknown_agent.json()["errors"][0]["field"] == "agent_id"
        unknown_incident = await http.post(
            f"/api/v1/incidents/{demo_id('no-incident')}/assign",
            headers=auth(helen),
            json={"agent_id": str(ANNA)},
        )
        assert unknown_incident.status_code == 404
        bad = await http.post(url, headers=auth(helen), json={"agent": "x"})
        assert bad.status_code == 422

        overridden = await http.post(
            url, headers=auth(helen), json={"agent_id": str(ANNA), "override": True}
        )
        assert overridden.status_code == 200, overridden.text
        made = overridden.json()
        assert made["changed"] is True
        assert made["load"] == made["capacity"] + 1
        assert "overridden" in made["reason"]

        async def recorded() -> dict[str, Any] | None:
            body = await incident(http, admin, incident_id)
            return body if body["assignee_id"] == str(ANNA) else None

        body = await wait_until(recorded)
        assert any("by hand" in e["text"] for e in body["entries"] if e["kind"] == "assignment")
        again = await http.post(url, headers=auth(helen), json={"agent_id": str(ANNA)})
        assert again.status_code == 200
        assert again.json()["changed"] is False


async def test_profiles_and_presence_are_guarded(desk: RunningDesk) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    boris = await desk.token("boris")
    alice = await desk.token("alice")
    mike_id = demo_id("user:mike")
    async with desk.client() as http:
        assert (await http.get("/api/v1/agents", headers=auth(alice))).status_code == 403
        assert (await set_presence(http, boris, ANNA, Presence.AWAY)).status_code == 403
        assert (await set_presence(http, alice, ANNA, Presence.AWAY)).status_code == 403
        missing = await set_presence(http, admin, mike_id, Presence.ONLINE)
        assert missing.status_code == 404

        profile = {"skills": [["order"], []], "capacity": 4}
        by_agent = await http.put(f"/api/v1/agents/{mike_id}", headers=auth(boris), json=profile)
        assert by_agent.status_code == 403
        for_client = await http.put(
            f"/api/v1/agents/{demo_id('user:alice')}", headers=auth(admin), json=profile
        )
        assert for_client.status_code == 404
        bad_head = await http.put(
            f"/api/v1/agents/{mike_id}",
            headers=auth(admin),
            json={**profile, "group_head_id": str(BORIS)},
        )
        assert bad_head.status_code == 422
        assert bad_head.json()["errors"][0]["field"] == "group_head_id"
        invalid = await http.put(
            f"/api/v1/agents/{mike_id}",
            headers=auth(admin),
            json={"skills": [["Not A Code"]], "capacity": -1},
        )
        assert invalid.status_code == 422
        assert {e["field"] for e in invalid.json()["errors"]} >= {"capacity"}

        created = await http.put(
            f"/api/v1/agents/{mike_id}",
            headers=auth(admin),
            json={**profile, "group_head_id": str(demo_id("user:helen"))},
        )
        assert created.status_code == 200, created.text
        body = created.json()
        assert (body["username"], body["capacity"], body["presence"]) == ("mike", 4, "offline")
        assert body["skills"] == [["order"], []]
        cleared = await http.patch(
            f"/api/v1/agents/{mike_id}", headers=auth(admin), json={"group_head_id": None}
        )
        assert cleared.status_code == 200
        assert cleared.json()["group_head_id"] is None
        assert cleared.json()["capacity"] == 4
        empty = await http.patch(f"/api/v1/agents/{mike_id}", headers=auth(admin), json={})
        assert empty.status_code == 422
        mike = await desk.token("mike")
        own = await set_presence(http, mike, mike_id, Presence.AWAY)
        assert own.status_code == 200
        assert own.json()["presence"] == "away"


async def test_reconciliation_corrects_routing_from_intakes_incidents(desk: RunningDesk) -> None:
    """Routing's books are damaged by hand (as a restore from an old backup or a stray
    edit would); the reconcile command puts assignments and every load back to what
    intake's incidents say, and a second run finds nothing."""
    admin = await desk.token("admin", "admin-e2e-password")
    client = await desk.token("alice")
    routing = await routing_db(desk)
    intake = await asyncpg.connect(desk.settings.database_url("intake"))

    async def intake_loads() -> Counter[UUID]:
        rows = await intake.fetch(
            "SELECT assignee_id, count(*) AS n FROM incidents "
            "WHERE status NOT IN ('resolved', 'closed') AND assignee_id IS NOT NULL "
            "GROUP BY assignee_id"
        )
        return Counter({row["assignee_id"]: row["n"] for row in rows})

    async def routing_loads() -> Counter[UUID]:
        rows = await routing.fetch("SELECT agent_id, load FROM agents WHERE load > 0")
        return Counter({row["agent_id"]: row["load"] for row in rows})

    try:
        async with desk.client() as http:
            # Whatever this module left with the agents, anna has room for three faults.
            roomy = await http.patch(
                f"/api/v1/agents/{ANNA}",
                headers=auth(admin),
                json={"skills": [["fault"], ["complaint"]], "capacity": 10, "presence": "online"},
            )
            assert roomy.status_code == 200, roomy.text
            lost, resurrected, resolved = [
                await file_incident(http, client, "fault/software") for _ in range(3)
            ]

            async def assigned_in_intake() -> bool:
                rows = await intake.fetch(
                    "SELECT assignee_id FROM incidents WHERE id = ANY($1::uuid[])",
                    [UUID(lost), UUID(resurrected), UUID(resolved)],
                )
                return all(row["assignee_id"] is not None for row in rows)

            await wait_until(assigned_in_intake, timeout=30)
            done = await patient(
                lambda: http.post(
                    f"/api/v1/incidents/{resolved}/status",
                    headers=auth(admin),
                    json={"status": "resolved", "reason": "fixed"},
                )
            )
            assert done.status_code == 200, done.text

            async def released() -> bool:
                return not await routing.fetchval(
                    "SELECT is_open FROM assignments WHERE incident_id = $1", UUID(resolved)
                )

            await wait_until(released)
            # Everything in flight has landed: both sides agree before the damage.
            await wait_until(lambda: _same(intake_loads(), routing_loads()), timeout=30)
            expected = await intake_loads()
            agent_of_lost = await routing.fetchval(
                "SELECT agent_id FROM assignments WHERE incident_id = $1", UUID(lost)
            )

            # The damage: an assignment forgotten, a resolved incident counted again, an
            # incident intake never had booked on someone, and loads made up.
            await routing.execute("DELETE FROM assignments WHERE incident_id = $1", UUID(lost))
            await routing.execute(
                "UPDATE assignments SET is_open = true WHERE incident_id = $1", UUID(resolved)
            )
            await routing.execute(
                "INSERT INTO assignments (incident_id, agent_id, category_path, priority, "
                "registered_at, assigned_at, reason) "
                "VALUES ($1, $2, '{fault}', 'normal', now(), now(), 'stray')",
                uuid4(),
                agent_of_lost,
            )
            await routing.execute("UPDATE agents SET load = load + 3 WHERE load > 0")
            assert await routing_loads() != expected

            for outsider in ("alice", "boris"):
                refused = await http.post(
                    "/api/v1/agents/reconcile", headers=auth(await desk.token(outsider))
                )
                assert refused.status_code == 403
            answer = await http.post("/api/v1/agents/reconcile", headers=auth(admin))
            assert answer.status_code == 200, answer.text
            report = answer.json()
            assert report["bookings_added"] == 1
            assert report["bookings_closed"] == 2
            assert report["loads_corrected"]
            assert await routing_loads() == expected
            assert (
                await routing.fetchval(
                    "SELECT agent_id FROM assignments WHERE incident_id = $1 AND is_open",
                    UUID(lost),
                )
                == agent_of_lost
            )

            again = await http.post("/api/v1/agents/reconcile", headers=auth(admin))
            assert again.status_code == 200, again.text
            quiet = again.json()
            changed = ("bookings_added", "bookings_moved", "bookings_closed", "bookings_reopened")
            assert [quiet[name] for name in changed] == [0, 0, 0, 0]
            assert quiet["loads_corrected"] == []
            # The load board shows intake's truth too.
            board = await http.get("/api/v1/agents", headers=auth(admin), params={"limit": 100})
            shown = {UUID(item["id"]): item["load"] for item in board.json()["items"]}
            assert {a: n for a, n in shown.items() if n} == dict(expected)
    finally:
        await routing.close()
        await intake.close()


async def test_a_deactivated_agent_hands_their_work_to_a_colleague(desk: RunningDesk) -> None:
    admin = await desk.token("admin", "admin-e2e-password")
    helen = await desk.token("helen")
    client = await desk.token("alice")
    async with desk.client() as http:
        created = await http.post(
            "/api/v1/users",
            headers=auth(admin),
            json={
                "username": "leaving",
                "password": "leaving-password-2026",
                "display_name": "Leaving Agent",
                "role": "agent",
            },
        )
        assert created.status_code == 201, created.text
        leaving = created.json()["id"]
        profile = await http.put(
            f"/api/v1/agents/{leaving}",
            headers=auth(admin),
            json={"skills": [["fault"]], "capacity": 5, "presence": "online"},
        )
        assert profile.status_code == 200, profile.text
        # Whatever this module left with the agents, anna has room to take the work.
        roomy = await http.patch(
            f"/api/v1/agents/{ANNA}",
            headers=auth(admin),
            json={"skills": [["fault"]], "capacity": 50, "presence": "online"},
        )
        assert roomy.status_code == 200, roomy.text
        incident_id = await file_incident(http, client, "fault/software")
        url = f"/api/v1/incidents/{incident_id}/assign"
        given = await patient(
            lambda: http.post(url, headers=auth(helen), json={"agent_id": leaving})
        )
        assert given.status_code == 200, given.text

        async def theirs() -> bool:
            return (await incident(http, admin, incident_id))["assignee_id"] == leaving

        await wait_until(theirs)
        gone = await http.delete(f"/api/v1/users/{leaving}", headers=auth(admin))
        assert gone.status_code == 204, gone.text

        async def handed_over() -> dict[str, Any] | None:
            body = await incident(http, admin, incident_id)
            return body if body["assignee_id"] not in (None, leaving) else None

        body = await wait_until(handed_over)
        assignments = [e["text"] for e in body["entries"] if e["kind"] == "assignment"]
        assert "handed over: the agent was deactivated" in assignments[-1]
        board = await http.get(f"/api/v1/agents/{leaving}", headers=auth(admin))
        assert board.status_code == 200, board.text
        assert board.json()["presence"] == "offline"
        refused = await http.post(
            url, headers=auth(helen), json={"agent_id": leaving, "override": True}
        )
        assert refused.status_code == 409, refused.text
        assert "deactivated" in refused.json()["detail"]


async def _same(first: Any, second: Any) -> bool:
    return bool(await first == await second)
