"""Least-loaded assignment: hand-picked cases plus properties over random fleets."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from uuid import UUID

import pytest
from desk_contracts.enums import Presence, Priority
from hypothesis import given, settings
from hypothesis import strategies as st
from routing.domain import (
    AgentState,
    Choice,
    WaitingIncident,
    backlog_key,
    choose_agent,
    covers,
    is_eligible,
    load_ratio,
    plan_backlog,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PROPS = settings(max_examples=200, deadline=None)


def uid(n: int) -> UUID:
    return UUID(int=n)


def agent(
    n: int,
    *,
    load: int = 0,
    capacity: int = 5,
    presence: Presence = Presence.ONLINE,
    skills: tuple[tuple[str, ...], ...] = ((),),
    last: datetime | None = None,
) -> AgentState:
    return AgentState(
        agent_id=uid(n),
        presence=presence,
        skills=skills,
        capacity=capacity,
        load=load,
        last_assigned_at=last,
    )


def waiting(
    n: int,
    *,
    priority: Priority = Priority.NORMAL,
    due: datetime | None = None,
    registered: datetime = T0,
    path: tuple[str, ...] = ("sw", "erp"),
) -> WaitingIncident:
    return WaitingIncident(
        incident_id=uid(1000 + n),
        priority=priority,
        resolution_due=due,
        registered_at=registered,
        category_path=path,
    )


def apply(
    agents: list[AgentState], plan: list[tuple[UUID, Choice]], now: datetime
) -> list[AgentState]:
    """What the service would store after carrying out the plan."""
    counts = Counter(choice.agent_id for _, choice in plan)
    result = []
    for a in agents:
        for _ in range(counts[a.agent_id]):
            a = a.with_assignment(now)
        result.append(a)
    return result


# --- covers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skill", "path", "expected"),
    [
        ((), (), True),
        ((), ("hw",), True),
        ((), ("hw", "printer", "jam"), True),
        (("hw",), ("hw",), True),
        (("hw",), ("hw", "printer"), True),
        (("hw",), ("hw", "printer", "jam"), True),
        (("hw", "printer"), ("hw", "printer", "jam"), True),
        (("hw", "printer", "jam"), ("hw", "printer", "jam"), True),
        (("hw",), ("sw",), False),
        (("hw",), ("hwx",), False),  # whole segments, not string prefixes
        (("hw", "printer"), ("hw",), False),  # a subtree does not cover its parent
        (("hw", "printer"), ("hw", "scanner"), False),
        (("hw", "printer", "jam"), ("hw", "printer"), False),
        (("printer",), ("hw", "printer"), False),  # anchored at the root
        (("hw",), (), False),
    ],
)
def test_covers(skill: tuple[str, ...], path: tuple[str, ...], expected: bool) -> None:
    assert covers(skill, path) is expected


def test_covers_accepts_any_sequence() -> None:
    assert covers(("hw",), ["hw", "printer"])
    assert covers(["hw"], ("hw", "printer"))


# --- eligibility --------------------------------------------------------------------


def test_eligible_when_online_skilled_and_free() -> None:
    assert is_eligible(agent(1, skills=(("sw",),), load=4, capacity=5), ("sw", "erp"))


@pytest.mark.parametrize("presence", [Presence.AWAY, Presence.OFFLINE])
def test_not_online_is_never_eligible(presence: Presence) -> None:
    assert not is_eligible(agent(1, presence=presence), ("sw",))


def test_full_agent_is_not_eligible() -> None:
    assert not is_eligible(agent(1, load=5, capacity=5), ("sw",))
    assert not is_eligible(agent(1, load=7, capacity=5), ("sw",))  # over after a cut


def test_capacity_zero_is_never_eligible() -> None:
    assert not is_eligible(agent(1, load=0, capacity=0), ("sw",))


def test_unskilled_is_not_eligible() -> None:
    assert not is_eligible(agent(1, skills=(("hw",), ("net", "vpn"))), ("sw", "erp"))
    assert not is_eligible(agent(1, skills=()), ("sw", "erp"))  # no skills at all


def test_any_one_skill_suffices() -> None:
    assert is_eligible(agent(1, skills=(("hw",), ("sw", "erp"))), ("sw", "erp", "posting"))


def test_negative_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="capacity"):
        agent(1, capacity=-1)
    with pytest.raises(ValueError, match="load"):
        agent(1, load=-1)


def test_load_ratio_is_exact() -> None:
    assert load_ratio(agent(1, load=1, capacity=3)) == Fraction(1, 3)
    assert load_ratio(agent(1, load=0, capacity=0)) == 1


def test_with_assignment_returns_a_new_state() -> None:
    before = agent(1, load=2)
    after = before.with_assignment(T0)
    assert (after.load, after.last_assigned_at) == (3, T0)
    assert (before.load, before.last_assigned_at) == (2, None)


# --- choose_agent -------------------------------------------------------------------


def test_lowest_ratio_wins_not_lowest_load() -> None:
    # 2/10 = 0.2 beats 1/3 = 0.33 although its absolute load is higher.
    choice = choose_agent([agent(1, load=1, capacity=3), agent(2, load=2, capacity=10)], ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(2)
    assert choice.candidates == ((uid(2), 2, 10), (uid(1), 1, 3))


def test_ratios_compared_exactly() -> None:
    # 1/3 and 2/6 are equal; floats would still agree here, but 0.1*3 style errors
    # must never decide: the tie falls to the least recently assigned.
    a = agent(1, load=1, capacity=3, last=T0)
    b = agent(2, load=2, capacity=6, last=T0 - timedelta(hours=1))
    choice = choose_agent([a, b], ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(2)


def test_tie_goes_to_least_recently_assigned() -> None:
    recent = agent(1, load=1, last=T0)
    older = agent(2, load=1, last=T0 - timedelta(minutes=5))
    choice = choose_agent([recent, older], ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(2)
    assert "least recent" in choice.reason


def test_never_assigned_counts_as_least_recent() -> None:
    veteran = agent(1, load=0, last=T0 - timedelta(days=365))
    newcomer = agent(2, load=0, last=None)
    choice = choose_agent([veteran, newcomer], ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(2)
    assert "never assigned" in choice.reason


def test_full_tie_goes_to_lowest_id_whatever_the_input_order() -> None:
    fleet = [agent(3), agent(1), agent(2)]
    for order in (fleet, fleet[::-1], fleet[1:] + fleet[:1]):
        choice = choose_agent(order, ("sw",))
        assert choice is not None
        assert choice.agent_id == uid(1)
        assert [c[0] for c in choice.candidates] == [uid(1), uid(2), uid(3)]


def test_offline_and_away_agents_are_ignored() -> None:
    fleet = [
        agent(1, presence=Presence.OFFLINE, load=0),
        agent(2, presence=Presence.AWAY, load=0),
        agent(3, presence=Presence.ONLINE, load=4),
    ]
    choice = choose_agent(fleet, ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(3)
    assert choice.candidates == ((uid(3), 4, 5),)


def test_skill_prefix_matching_selects_the_specialist() -> None:
    fleet = [
        agent(1, skills=(("hw",),), load=0),
        agent(2, skills=(("sw", "erp"),), load=3),
        agent(3, skills=(("sw", "crm"),), load=0),
    ]
    choice = choose_agent(fleet, ("sw", "erp", "posting"))
    assert choice is not None
    assert choice.agent_id == uid(2)


def test_capacity_zero_agent_is_never_chosen() -> None:
    assert choose_agent([agent(1, capacity=0)], ("sw",)) is None
    choice = choose_agent([agent(1, capacity=0), agent(2, load=4)], ("sw",))
    assert choice is not None
    assert choice.agent_id == uid(2)


def test_excluded_agent_is_never_chosen() -> None:
    current = agent(1, load=0)
    other = agent(2, load=4)
    choice = choose_agent([current, other], ("sw",), exclude={uid(1)})
    assert choice is not None
    assert choice.agent_id == uid(2)
    assert choice.candidates == ((uid(2), 4, 5),)
    assert "1 excluded" in choice.reason


def test_excluding_the_only_eligible_agent_leaves_nobody() -> None:
    assert choose_agent([agent(1)], ("sw",), exclude=[uid(1)]) is None


def test_nobody_at_all() -> None:
    assert choose_agent([], ("sw",)) is None


def test_reason_lists_every_candidate_with_its_load() -> None:
    fleet = [agent(1, load=1, capacity=5), agent(2, load=3, capacity=4), agent(3, load=0)]
    choice = choose_agent(fleet, ("sw",))
    assert choice is not None
    assert choice.reason == (
        "least loaded of 3 eligible: 00000000 0/5 (0.00), 00000000 1/5 (0.20), 00000000 3/4 (0.75)"
    )


def test_reason_for_a_single_candidate() -> None:
    choice = choose_agent([agent(7, load=2, capacity=4)], ("sw",))
    assert choice is not None
    assert choice.reason == "only eligible agent: 00000000 2/4 (0.50)"


def test_reason_for_tie_broken_by_id() -> None:
    choice = choose_agent([agent(1), agent(2)], ("sw",))
    assert choice is not None
    assert "broken by agent id" in choice.reason


def test_duplicate_agent_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        choose_agent([agent(1), agent(1, load=3)], ("sw",))


# --- backlog ----------------------------------------------------------------------


def test_backlog_order() -> None:
    later = T0 + timedelta(hours=1)
    items = [
        waiting(1, priority=Priority.LOW, due=T0),
        waiting(2, priority=Priority.NORMAL, due=None),
        waiting(3, priority=Priority.NORMAL, due=later),
        waiting(4, priority=Priority.NORMAL, due=T0, registered=later),
        waiting(5, priority=Priority.NORMAL, due=T0, registered=T0),
        waiting(6, priority=Priority.CRITICAL, due=None),
        waiting(7, priority=Priority.HIGH, due=later),
        waiting(8, priority=Priority.NORMAL, due=T0, registered=T0),
    ]
    ordered = [i.incident_id for i in sorted(items, key=backlog_key)]
    assert ordered == [uid(1000 + n) for n in (6, 7, 5, 8, 4, 3, 2, 1)]


def test_plan_spreads_work_by_ratio_and_recency() -> None:
    fleet = [agent(1, load=0, capacity=2), agent(2, load=0, capacity=2)]
    plan = plan_backlog([waiting(n) for n in range(3)], fleet, now=T0)
    assert [(i, c.agent_id) for i, c in plan] == [
        (uid(1000), uid(1)),
        (uid(1001), uid(2)),
        (uid(1002), uid(1)),
    ]
    # The third decision saw both at 1/2 with last assignment = now: tie by id.
    assert plan[2][1].candidates == ((uid(1), 1, 2), (uid(2), 1, 2))


def test_plan_follows_priority_and_stops_at_capacity() -> None:
    fleet = [agent(1, load=0, capacity=1)]
    low = waiting(1, priority=Priority.LOW, registered=T0 - timedelta(days=1))
    critical = waiting(2, priority=Priority.CRITICAL)
    plan = plan_backlog([low, critical], fleet, now=T0)
    assert [i for i, _ in plan] == [critical.incident_id]


def test_plan_skips_incident_nobody_can_take_and_continues() -> None:
    fleet = [agent(1, skills=(("hw",),)), agent(2, skills=(("sw",),), presence=Presence.AWAY)]
    urgent_sw = waiting(1, priority=Priority.CRITICAL, path=("sw", "erp"))
    normal_hw = waiting(2, priority=Priority.NORMAL, path=("hw", "printer"))
    plan = plan_backlog([urgent_sw, normal_hw], fleet, now=T0)
    assert [(i, c.agent_id) for i, c in plan] == [(normal_hw.incident_id, uid(1))]


def test_plan_sets_recency_to_now_for_planned_agents() -> None:
    # Agent 1 has the older assignment and gets the first incident; then both are at
    # 1/5 and agent 2 (assigned an hour ago) beats agent 1 (assigned "now").
    fleet = [
        agent(1, load=0, last=T0 - timedelta(hours=2)),
        agent(2, load=1, last=T0 - timedelta(hours=1)),
    ]
    plan = plan_backlog([waiting(1), waiting(2)], fleet, now=T0)
    assert [c.agent_id for _, c in plan] == [uid(1), uid(2)]


def test_plan_does_not_touch_its_inputs() -> None:
    fleet = [agent(1), agent(2)]
    backlog = [waiting(2), waiting(1)]
    snapshot = (list(fleet), list(backlog))
    plan_backlog(backlog, fleet, now=T0)
    assert (fleet, backlog) == snapshot


def test_plan_of_empty_inputs() -> None:
    assert plan_backlog([], [agent(1)], now=T0) == []
    assert plan_backlog([waiting(1)], [], now=T0) == []


def test_plan_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="incident ids"):
        plan_backlog([waiting(1), waiting(1)], [agent(1)], now=T0)
    with pytest.raises(ValueError, match="agent ids"):
        plan_backlog([waiting(1)], [agent(1), agent(1)], now=T0)


# --- properties ---------------------------------------------------------------------

CODES = ("hw", "sw", "net")
paths = st.lists(st.sampled_from(CODES), min_size=1, max_size=3).map(tuple)
skills = st.lists(st.sampled_from(CODES), min_size=0, max_size=3).map(tuple)
instants = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=600).map(lambda m: T0 - timedelta(minutes=m)),
)


@st.composite
def fleets(draw: st.DrawFn, min_size: int = 0) -> list[AgentState]:
    ids = draw(st.lists(st.integers(1, 10_000), min_size=min_size, max_size=8, unique=True))
    result = []
    for n in ids:
        capacity = draw(st.integers(0, 5))
        result.append(
            AgentState(
                agent_id=uid(n),
                presence=draw(st.sampled_from(Presence)),
                skills=tuple(draw(st.lists(skills, max_size=3))),
                capacity=capacity,
                load=draw(st.integers(0, capacity + 1)),
                last_assigned_at=draw(instants),
            )
        )
    return result


@st.composite
def backlogs(draw: st.DrawFn) -> list[WaitingIncident]:
    ids = draw(st.lists(st.integers(1, 10_000), max_size=25, unique=True))
    return [
        WaitingIncident(
            incident_id=uid(n),
            priority=draw(st.sampled_from(Priority)),
            resolution_due=draw(instants),
            registered_at=T0 - timedelta(minutes=draw(st.integers(0, 600))),
            category_path=draw(paths),
        )
        for n in ids
    ]


@PROPS
@given(fleet=fleets(), path=paths, data=st.data())
def test_chosen_agent_is_eligible_not_excluded_and_least_loaded(
    fleet: list[AgentState], path: tuple[str, ...], data: st.DataObject
) -> None:
    ids = [a.agent_id for a in fleet]
    exclude = set(data.draw(st.lists(st.sampled_from(ids)))) if ids else set()
    choice = choose_agent(fleet, path, exclude)
    allowed = [a for a in fleet if is_eligible(a, path) and a.agent_id not in exclude]
    if not allowed:
        assert choice is None
        return
    assert choice is not None
    chosen = next(a for a in fleet if a.agent_id == choice.agent_id)
    assert is_eligible(chosen, path)
    assert chosen.agent_id not in exclude
    assert all(load_ratio(a) >= load_ratio(chosen) for a in allowed)
    for a in allowed:  # among equal ratios nobody was assigned less recently
        if load_ratio(a) == load_ratio(chosen) and chosen.last_assigned_at is not None:
            assert a.last_assigned_at is not None
            assert a.last_assigned_at >= chosen.last_assigned_at
    assert {c[0] for c in choice.candidates} == {a.agent_id for a in allowed}
    assert choice.candidates[0][0] == choice.agent_id
    ratios = [Fraction(load, cap) for _, load, cap in choice.candidates]
    assert ratios == sorted(ratios)


@PROPS
@given(fleet=fleets(), path=paths, data=st.data())
def test_choice_does_not_depend_on_input_order(
    fleet: list[AgentState], path: tuple[str, ...], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(fleet))
    assert choose_agent(shuffled, path) == choose_agent(fleet, path)


@PROPS
@given(fleet=fleets(), backlog=backlogs())
def test_plan_never_exceeds_capacity(
    fleet: list[AgentState], backlog: list[WaitingIncident]
) -> None:
    plan = plan_backlog(backlog, fleet, now=T0)
    counts = Counter(choice.agent_id for _, choice in plan)
    for a in fleet:
        if counts[a.agent_id]:
            assert a.load + counts[a.agent_id] <= a.capacity
    assert len({i for i, _ in plan}) == len(plan)  # no incident planned twice
    assert {i for i, _ in plan} <= {w.incident_id for w in backlog}


@PROPS
@given(fleet=fleets(), backlog=backlogs())
def test_plan_replays_choose_agent_in_backlog_order(
    fleet: list[AgentState], backlog: list[WaitingIncident]
) -> None:
    """Each step equals a fresh choice over the loads so far; skips are genuine."""
    plan = dict(plan_backlog(backlog, fleet, now=T0))
    state = list(fleet)
    for item in sorted(backlog, key=backlog_key):
        expected = choose_agent(state, item.category_path)
        assert plan.get(item.incident_id) == expected
        if expected is not None:
            state = [a.with_assignment(T0) if a.agent_id == expected.agent_id else a for a in state]


@PROPS
@given(fleet=fleets(), backlog=backlogs(), data=st.data())
def test_plan_does_not_depend_on_input_order(
    fleet: list[AgentState], backlog: list[WaitingIncident], data: st.DataObject
) -> None:
    again = plan_backlog(
        data.draw(st.permutations(backlog)), data.draw(st.permutations(fleet)), now=T0
    )
    assert again == plan_backlog(backlog, fleet, now=T0)


@PROPS
@given(
    ids=st.lists(st.integers(1, 10_000), min_size=1, max_size=8, unique=True),
    capacity=st.integers(1, 6),
    data=st.data(),
)
def test_equal_agents_share_work_evenly(ids: list[int], capacity: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, len(ids) * capacity))
    fleet = [agent(i, capacity=capacity, skills=(("sw",),)) for i in ids]

    # One plan over the whole backlog.
    plan = plan_backlog([waiting(k) for k in range(n)], fleet, now=T0)
    assert len(plan) == n
    loads = [a.load for a in apply(fleet, plan, T0)]
    assert max(loads) - min(loads) <= 1

    # The same work arriving one incident at a time, each planned on its own.
    state = fleet
    for k in range(n):
        now = T0 + timedelta(minutes=k)
        step = plan_backlog([waiting(k)], state, now=now)
        assert len(step) == 1
        state = apply(state, step, now)
        loads = [a.load for a in state]
        assert max(loads) - min(loads) <= 1
    assert sum(a.load for a in state) == n
