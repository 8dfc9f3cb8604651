"""Assignment by hand and escalation exclusions in the backlog, as pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from desk_contracts.enums import Presence, Priority
from routing.domain import AgentState, WaitingIncident, check_manual, plan_backlog

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def agent(
    n: int,
    *,
    load: int = 0,
    capacity: int = 3,
    presence: Presence = Presence.ONLINE,
    skills: tuple[tuple[str, ...], ...] = (("fault",),),
) -> AgentState:
    return AgentState(UUID(int=n), presence, skills, capacity, load)


def waiting(n: int, *, excluded: frozenset[UUID] = frozenset()) -> WaitingIncident:
    return WaitingIncident(
        incident_id=UUID(int=1000 + n),
        priority=Priority.NORMAL,
        resolution_due=T0 + timedelta(hours=n),
        registered_at=T0,
        category_path=("fault", "software"),
        excluded=excluded,
    )


def test_free_online_skilled_agent_has_nothing_against_it() -> None:
    check = check_manual(agent(1), ("fault", "software"))
    assert check.blockers == ()
    assert check.warnings == ()
    assert check.allowed(override=False)
    assert check.describe(override=False) == ""


@pytest.mark.parametrize("presence", [Presence.AWAY, Presence.OFFLINE])
def test_absent_agent_blocks_unless_overridden(presence: Presence) -> None:
    check = check_manual(agent(1, presence=presence), ("fault",))
    assert check.blockers == (f"agent is {presence.value}",)
    assert not check.allowed(override=False)
    assert check.allowed(override=True)
    assert check.describe(override=True) == f"agent is {presence.value} (overridden)"


def test_a_deactivated_user_is_refused_even_with_an_override() -> None:
    retired = AgentState(UUID(int=1), Presence.OFFLINE, (("fault",),), 3, 0, active=False)
    check = check_manual(retired, ("fault",))
    assert check.refusals == ("the agent's user is deactivated",)
    assert not check.allowed(override=False)
    assert not check.allowed(override=True)


def test_full_agent_blocks_unless_overridden() -> None:
    check = check_manual(agent(1, load=3, capacity=3), ("fault",))
    assert check.blockers == ("agent is at capacity (3/3)",)
    assert not check.allowed(override=False)
    assert check.allowed(override=True)


def test_over_capacity_after_an_earlier_override_still_blocks() -> None:
    assert check_manual(agent(1, load=5, capacity=3), ("fault",)).blockers


def test_missing_skill_only_warns() -> None:
    check = check_manual(agent(1), ("order", "development"))
    assert check.blockers == ()
    assert check.warnings == ("category outside the agent's skills",)
    assert check.allowed(override=False)
    assert "outside" in check.describe(override=False)


def test_every_problem_is_reported_at_once() -> None:
    check = check_manual(agent(1, load=3, capacity=3, presence=Presence.OFFLINE), ("order",))
    assert len(check.blockers) == 2
    assert len(check.warnings) == 1
    assert check.describe(override=False).count(";") == 2


def test_backlog_never_returns_an_escalated_incident_to_its_assignee() -> None:
    current = agent(1)
    plan = plan_backlog([waiting(1, excluded=frozenset({current.agent_id}))], [current], T0)
    assert plan == []


def test_backlog_gives_an_escalated_incident_to_someone_else() -> None:
    current, other = agent(1), agent(2, load=2)
    plan = plan_backlog([waiting(1, excluded=frozenset({current.agent_id}))], [current, other], T0)
    assert [(incident, choice.agent_id) for incident, choice in plan] == [
        (UUID(int=1001), other.agent_id)
    ]
    assert "1 excluded" in plan[0][1].reason


def test_exclusion_of_one_incident_does_not_hold_back_the_next() -> None:
    only = agent(1, capacity=1)
    plan = plan_backlog([waiting(1, excluded=frozenset({only.agent_id})), waiting(2)], [only], T0)
    assert [incident for incident, _ in plan] == [UUID(int=1002)]
