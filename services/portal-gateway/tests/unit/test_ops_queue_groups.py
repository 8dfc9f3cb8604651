"""The operations page lists queues by service, the ones that need attention first."""

from __future__ import annotations

from portal_gateway.domain.ops.service import queue_groups, queue_problem


def q(name: str, service: str, kind: str = "events", **values: object) -> dict[str, object]:
    return {"name": name, "service": service, "kind": kind, "consumers": 1, **values}


def test_problems_first_by_service_and_within_it() -> None:
    queues = [
        q("intake.a", "intake"),
        q("notify.b", "notify"),
        q("notify.a", "notify"),
        q("notify.a.dead", "notify", "dead-letters", consumers=0, messages_ready=2),
        q("sla.a", "sla", consumers=0),
        q("routing.a", "routing", error="not found"),
    ]
    groups = queue_groups(queues)
    assert [(name, problem) for name, problem, _ in groups] == [
        ("notify", True),
        ("routing", True),
        ("sla", True),
        ("intake", False),
    ]
    assert [x["name"] for x in groups[0][2]] == ["notify.a.dead", "notify.a", "notify.b"]


def test_an_empty_dead_letter_queue_without_consumers_is_fine() -> None:
    assert not queue_problem(q("x.dead", "x", "dead-letters", consumers=0, messages_ready=0))
    assert queue_problem(q("x", "x", consumers=0))
