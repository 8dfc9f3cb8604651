"""Least-loaded assignment (SPEC §5) as pure functions.

Everything here is deterministic and side-effect free so the same decision can be
replayed in tests, explained to a head ("why did Ivan get this?") and recomputed
inside a database transaction without surprises. Storage, locking and presence
tracking live elsewhere; this module only decides.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from uuid import UUID

from desk_contracts.enums import Presence, Priority, Role

__all__ = [
    "AgentState",
    "Choice",
    "ManualCheck",
    "WaitingIncident",
    "backlog_key",
    "check_manual",
    "choose_agent",
    "covers",
    "is_eligible",
    "load_ratio",
    "may_override",
    "plan_backlog",
]

Skill = tuple[str, ...]


@dataclass(frozen=True)
class AgentState:
    """A snapshot of one agent as routing sees it at decision time.

    ``skills`` are category subtrees given as code paths from the root of the category
    tree; the empty path ``()`` covers every category. ``load`` is the number of open
    incidents assigned now and may exceed ``capacity`` when an admin lowered the
    capacity or staff assigned by hand — such an agent is simply not eligible.
    ``last_assigned_at`` is ``None`` for an agent never assigned, which ranks as the
    least recently assigned of all. ``active`` is false for a deactivated user (or one
    no longer staff): such an agent is always offline.
    """

    agent_id: UUID
    presence: Presence
    skills: tuple[Skill, ...]
    capacity: int
    load: int
    last_assigned_at: datetime | None = None
    active: bool = True
    # How people know the agent, for the reason written in the history; the id's first
    # characters stand in while the name has not arrived.
    name: str = ""

    def __post_init__(self) -> None:
        # Negative numbers can only come from a bug upstream; refuse them loudly
        # instead of letting them skew every ratio comparison.
        if self.capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {self.capacity}")
        if self.load < 0:
            raise ValueError(f"load must be >= 0, got {self.load}")

    def with_assignment(self, at: datetime) -> AgentState:
        """The same agent after one more incident was assigned at ``at``."""
        return replace(self, load=self.load + 1, last_assigned_at=at)


def covers(skill: Sequence[str], category_path: Sequence[str]) -> bool:
    """Whether the skill's subtree contains the category (the skill is a path prefix).

    Matching whole path segments (not string prefixes) keeps ``("hw",)`` from
    covering a sibling code such as ``("hwx",)``.
    """
    n = len(skill)
    return n <= len(category_path) and tuple(category_path[:n]) == tuple(skill)


def is_eligible(agent: AgentState, category_path: Sequence[str]) -> bool:
    """Online, skilled for the category and with a free slot (SPEC §5)."""
    return (
        agent.presence is Presence.ONLINE
        and agent.load < agent.capacity  # capacity 0 is never eligible
        and any(covers(skill, category_path) for skill in agent.skills)
    )


def load_ratio(agent: AgentState) -> Fraction:
    """Load over capacity as an exact fraction (floats would break ties wrongly).

    An agent with zero capacity is treated as full; it is never eligible anyway.
    """
    if agent.capacity == 0:
        return Fraction(1)
    return Fraction(agent.load, agent.capacity)


def _rank_key(agent: AgentState) -> tuple[Fraction, bool, datetime | None, UUID]:
    # Never-assigned (None) sorts before any timestamp; the agent id makes the order
    # total so that equal agents are always ranked the same way.
    return (
        load_ratio(agent),
        agent.last_assigned_at is not None,
        agent.last_assigned_at,
        agent.agent_id,
    )


@dataclass(frozen=True)
class Choice:
    """The chosen agent with the evidence for the choice.

    ``candidates`` holds ``(agent_id, load, capacity)`` of every eligible,
    non-excluded agent in ranked order (the chosen one first); ``reason`` is an
    English sentence meant for the incident history and for operators.
    """

    agent_id: UUID
    reason: str
    candidates: tuple[tuple[UUID, int, int], ...]


def _short(agent: AgentState) -> str:
    return agent.name or str(agent.agent_id)[:8]


def _describe(agent: AgentState, ratio: Fraction) -> str:
    return f"{_short(agent)} {agent.load}/{agent.capacity} ({float(ratio):.2f})"


def _when(agent: AgentState) -> str:
    if agent.last_assigned_at is None:
        return "never assigned"
    return f"last assigned {agent.last_assigned_at.isoformat()}"


def _reason(ranked: Sequence[AgentState], ratios: Sequence[Fraction], excluded: int) -> str:
    best = ranked[0]
    count = len(ranked)
    listing = ", ".join(_describe(a, r) for a, r in zip(ranked, ratios, strict=True))
    if count == 1:
        text = f"only eligible agent: {listing}"
    else:
        text = f"least loaded of {count} eligible: {listing}"
        tied = [a for a, r in zip(ranked[1:], ratios[1:], strict=True) if r == ratios[0]]
        if tied:
            runner_up = tied[0]
            if best.last_assigned_at != runner_up.last_assigned_at:
                text += (
                    f"; tie at {float(ratios[0]):.2f} broken by least recent "
                    f"assignment ({_short(best)} {_when(best)}, "
                    f"{_short(runner_up)} {_when(runner_up)})"
                )
            else:
                text += (
                    f"; tie at {float(ratios[0]):.2f} with equal assignment "
                    f"history broken by agent id"
                )
    if excluded:
        text += f"; {excluded} excluded"
    return text


def _unique(agents: Iterable[AgentState]) -> list[AgentState]:
    result = list(agents)
    ids = [a.agent_id for a in result]
    if len(set(ids)) != len(ids):
        # Two snapshots of one agent would let it be counted twice against capacity.
        raise ValueError("agent ids must be unique")
    return result


def choose_agent(
    agents: Iterable[AgentState],
    category_path: Sequence[str],
    exclude: Collection[UUID] = (),
) -> Choice | None:
    """Pick the least-loaded eligible agent, or ``None`` when nobody fits.

    Ranking: lowest load/capacity (exact), then least recently assigned (never
    assigned first), then agent id so the outcome never depends on input order.
    Agents in ``exclude`` (e.g. the current assignee on escalation) are never chosen
    and are not listed among the candidates.
    """
    pool = _unique(agents)
    eligible = [a for a in pool if is_eligible(a, category_path)]
    allowed = [a for a in eligible if a.agent_id not in exclude]
    if not allowed:
        return None
    # Each ratio is computed once: exact fractions are the costly part of a decision.
    keyed = sorted(((_rank_key(a), a) for a in allowed), key=lambda pair: pair[0])
    ranked = [agent for _, agent in keyed]
    ratios = [key[0] for key, _ in keyed]
    return Choice(
        agent_id=ranked[0].agent_id,
        reason=_reason(ranked, ratios, excluded=len(eligible) - len(allowed)),
        candidates=tuple((a.agent_id, a.load, a.capacity) for a in ranked),
    )


@dataclass(frozen=True)
class WaitingIncident:
    """An unassigned incident waiting in the backlog for a free, skilled agent."""

    incident_id: UUID
    priority: Priority
    resolution_due: datetime | None
    registered_at: datetime
    category_path: tuple[str, ...]
    # Agents it must not go to: the assignee an escalation is moving it away from.
    excluded: frozenset[UUID] = frozenset()


def backlog_key(
    item: WaitingIncident,
) -> tuple[int, bool, datetime | None, datetime, UUID]:
    """Sort key of the backlog: most urgent first, then earliest due, oldest, id.

    An incident without a resolution due time sorts after every incident with one of
    the same priority; the id keeps the order total and stable.
    """
    return (
        item.priority.rank,
        item.resolution_due is None,
        item.resolution_due,
        item.registered_at,
        item.incident_id,
    )


def plan_backlog(
    backlog: Iterable[WaitingIncident],
    agents: Iterable[AgentState],
    now: datetime,
) -> list[tuple[UUID, Choice]]:
    """Plan assignments for the backlog in priority order without touching inputs.

    Each planned assignment raises its agent's load and sets its last assignment to
    ``now`` before the next incident is considered, so one pass never overfills an
    agent and spreads equal work evenly. Incidents nobody can take are skipped (they
    keep waiting) and do not block later incidents of other categories.
    """
    items = sorted(backlog, key=backlog_key)
    ids = [i.incident_id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError("incident ids must be unique")
    state = {a.agent_id: a for a in _unique(agents)}
    plan: list[tuple[UUID, Choice]] = []
    for item in items:
        choice = choose_agent(state.values(), item.category_path, exclude=item.excluded)
        if choice is None:
            continue
        state[choice.agent_id] = state[choice.agent_id].with_assignment(now)
        plan.append((item.incident_id, choice))
    return plan


@dataclass(frozen=True)
class ManualCheck:
    """What stands against giving an incident to a named agent by hand.

    ``blockers`` (not online, no free slot) refuse the assignment unless a head
    overrides them; ``refusals`` (a deactivated user) refuse it whatever the override;
    ``warnings`` (outside the agent's skills) are recorded in the reason but never
    refuse: staff assigning by hand may know better than the skill table.
    """

    blockers: tuple[str, ...]
    warnings: tuple[str, ...]
    refusals: tuple[str, ...] = ()

    def allowed(self, override: bool) -> bool:
        return not self.refusals and (override or not self.blockers)

    def describe(self, override: bool) -> str:
        notes = [*(f"{b} (overridden)" if override else b for b in self.blockers)]
        notes += self.warnings
        return "; ".join(notes)


def check_manual(agent: AgentState, category_path: Sequence[str]) -> ManualCheck:
    """Blockers and warnings for assigning ``agent`` by hand (SPEC §5, staff may assign)."""
    if not agent.active:
        return ManualCheck((), (), refusals=("the agent's user is deactivated",))
    blockers: list[str] = []
    if agent.presence is not Presence.ONLINE:
        blockers.append(f"agent is {agent.presence.value}")
    if agent.load >= agent.capacity:
        blockers.append(f"agent is at capacity ({agent.load}/{agent.capacity})")
    warnings: list[str] = []
    if not any(covers(skill, category_path) for skill in agent.skills):
        warnings.append("category outside the agent's skills")
    return ManualCheck(tuple(blockers), tuple(warnings))


# Who may assign past a blocker (an agent not online or at capacity).
OVERRIDERS = frozenset({Role.HEAD, Role.ADMIN})


def may_override(role: Role) -> bool:
    return role in OVERRIDERS
