"""The life-cycle matrix, enumerated: every status × every target × every actor."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import TypedDict

import pytest
from desk_contracts.enums import Status
from intake.domain.lifecycle import (
    Actor,
    IllegalTransition,
    allowed_targets,
    check_transition,
    due_for_auto_close,
    status_after_client_reply,
    within_reopen_window,
)

S = Status
T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


class Window(TypedDict):
    """The reopen-window keyword arguments, typed so ``**`` unpacking checks."""

    resolved_at: datetime
    now: datetime
    reopen_window: timedelta


INSIDE: Window = {"resolved_at": T0, "now": T0 + timedelta(hours=1), "reopen_window": WEEK}

# The documented matrix, written out independently of the implementation.
LEGAL: frozenset[tuple[Status, Status, Actor]] = frozenset(
    {
        # staff
        (S.NEW, S.ASSIGNED, Actor.STAFF),
        (S.NEW, S.IN_PROGRESS, Actor.STAFF),
        (S.NEW, S.WAITING_ON_CLIENT, Actor.STAFF),
        (S.NEW, S.RESOLVED, Actor.STAFF),
        (S.ASSIGNED, S.IN_PROGRESS, Actor.STAFF),
        (S.ASSIGNED, S.WAITING_ON_CLIENT, Actor.STAFF),
        (S.ASSIGNED, S.RESOLVED, Actor.STAFF),
        (S.IN_PROGRESS, S.WAITING_ON_CLIENT, Actor.STAFF),
        (S.IN_PROGRESS, S.RESOLVED, Actor.STAFF),
        (S.WAITING_ON_CLIENT, S.IN_PROGRESS, Actor.STAFF),
        (S.WAITING_ON_CLIENT, S.RESOLVED, Actor.STAFF),
        (S.RESOLVED, S.REOPENED, Actor.STAFF),
        (S.RESOLVED, S.CLOSED, Actor.STAFF),
        (S.REOPENED, S.IN_PROGRESS, Actor.STAFF),
        (S.REOPENED, S.WAITING_ON_CLIENT, Actor.STAFF),
        (S.REOPENED, S.RESOLVED, Actor.STAFF),
        # client (requester)
        (S.RESOLVED, S.CLOSED, Actor.CLIENT),
        (S.RESOLVED, S.REOPENED, Actor.CLIENT),  # within the reopen window
        # system
        (S.NEW, S.ASSIGNED, Actor.SYSTEM),
        (S.WAITING_ON_CLIENT, S.IN_PROGRESS, Actor.SYSTEM),
        (S.RESOLVED, S.CLOSED, Actor.SYSTEM),
    }
)

ALL = list(product(Status, Status, Actor))


def ids(case: tuple[Status, Status, Actor]) -> str:
    current, target, actor = case
    return f"{current}->{target}@{actor}"


@pytest.mark.parametrize("case", ALL, ids=[ids(c) for c in ALL])
def test_matrix(case: tuple[Status, Status, Actor]) -> None:
    current, target, actor = case
    legal = case in LEGAL
    assert (target in allowed_targets(current, actor, **INSIDE)) is legal
    assert (target in allowed_targets(current, actor)) is legal  # no window configured
    if legal:
        check_transition(current, target, actor, **INSIDE)
        check_transition(current, target, actor)
    else:
        with pytest.raises(IllegalTransition) as caught:
            check_transition(current, target, actor, **INSIDE)
        assert (caught.value.current, caught.value.target) == (current, target)
        assert caught.value.actor is actor
        assert caught.value.allowed == allowed_targets(current, actor, **INSIDE)


@pytest.mark.parametrize(("current", "actor"), list(product(Status, Actor)))
def test_allowed_targets_are_exactly_the_matrix_in_declaration_order(
    current: Status, actor: Actor
) -> None:
    expected = tuple(t for t in Status if (current, t, actor) in LEGAL)
    assert allowed_targets(current, actor, **INSIDE) == expected


@pytest.mark.parametrize(("status", "actor"), list(product(Status, Actor)))
def test_same_status_is_never_a_transition(status: Status, actor: Actor) -> None:
    assert status not in allowed_targets(status, actor, **INSIDE)
    with pytest.raises(IllegalTransition, match=f"already {status}"):
        check_transition(status, status, actor, **INSIDE)


@pytest.mark.parametrize("actor", list(Actor))
def test_closed_is_terminal(actor: Actor) -> None:
    assert allowed_targets(S.CLOSED, actor, **INSIDE) == ()
    for target in Status:
        with pytest.raises(IllegalTransition, match="terminal"):
            check_transition(S.CLOSED, target, actor, **INSIDE)


def test_spec_happy_path_is_legal() -> None:
    path = [
        (S.NEW, S.ASSIGNED, Actor.SYSTEM),
        (S.ASSIGNED, S.IN_PROGRESS, Actor.STAFF),
        (S.IN_PROGRESS, S.WAITING_ON_CLIENT, Actor.STAFF),
        (S.WAITING_ON_CLIENT, S.IN_PROGRESS, Actor.SYSTEM),
        (S.IN_PROGRESS, S.RESOLVED, Actor.STAFF),
        (S.RESOLVED, S.REOPENED, Actor.CLIENT),
        (S.REOPENED, S.IN_PROGRESS, Actor.STAFF),
        (S.IN_PROGRESS, S.RESOLVED, Actor.STAFF),
        (S.RESOLVED, S.CLOSED, Actor.CLIENT),
    ]
    for current, target, actor in path:
        check_transition(current, target, actor, **INSIDE)


def test_staff_can_do_everything_client_and_system_can() -> None:
    staff = {(c, t) for c, t, a in LEGAL if a is Actor.STAFF}
    others = {(c, t) for c, t, a in LEGAL if a is not Actor.STAFF}
    assert others <= staff


def test_every_status_is_reachable_and_every_open_status_can_end_closed() -> None:
    edges = {(c, t) for c, t, _ in LEGAL}

    def reachable(start: Status) -> set[Status]:
        seen, todo = {start}, deque([start])
        while todo:
            here = todo.popleft()
            for c, t in edges:
                if c is here and t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    assert reachable(S.NEW) == set(Status)
    for status in Status:
        assert S.CLOSED in reachable(status)


def test_only_reopen_leaves_resolution() -> None:
    for current in (S.RESOLVED, S.CLOSED):
        for actor in Actor:
            for target in allowed_targets(current, actor, **INSIDE):
                assert target in (S.REOPENED, S.CLOSED)


# --- reopen window ------------------------------------------------------------------


def client_may_reopen(now: datetime, window: timedelta | None = WEEK) -> bool:
    return S.REOPENED in allowed_targets(
        S.RESOLVED, Actor.CLIENT, resolved_at=T0, now=now, reopen_window=window
    )


def test_reopen_window_includes_its_last_instant() -> None:
    assert client_may_reopen(T0)
    assert client_may_reopen(T0 + WEEK - timedelta(microseconds=1))
    assert client_may_reopen(T0 + WEEK)
    assert not client_may_reopen(T0 + WEEK + timedelta(microseconds=1))
    assert not client_may_reopen(T0 + timedelta(days=30))


def test_reopen_right_at_resolution_with_zero_window() -> None:
    assert client_may_reopen(T0, timedelta(0))
    assert not client_may_reopen(T0 + timedelta(seconds=1), timedelta(0))


def test_reopen_with_clock_skew_before_resolution_is_inside() -> None:
    assert client_may_reopen(T0 - timedelta(seconds=2))


def test_reopen_without_configured_window_is_unlimited() -> None:
    assert client_may_reopen(T0 + timedelta(days=3650), window=None)


def test_expired_window_leaves_the_client_only_confirmation() -> None:
    late: Window = {
        "resolved_at": T0,
        "now": T0 + WEEK + timedelta(seconds=1),
        "reopen_window": WEEK,
    }
    assert allowed_targets(S.RESOLVED, Actor.CLIENT, **late) == (S.CLOSED,)
    with pytest.raises(IllegalTransition) as caught:
        check_transition(S.RESOLVED, S.REOPENED, Actor.CLIENT, **late)
    error = caught.value
    assert error.allowed == (S.CLOSED,)
    assert error.field == "status"
    assert "reopen window ended at 2025-03-10T12:00:00+00:00" in str(error)
    assert str(error).endswith("allowed: closed")


def test_staff_reopen_ignores_the_window() -> None:
    late: Window = {"resolved_at": T0, "now": T0 + timedelta(days=90), "reopen_window": WEEK}
    check_transition(S.RESOLVED, S.REOPENED, Actor.STAFF, **late)


def test_window_needs_both_instants() -> None:
    with pytest.raises(ValueError, match="resolved_at and now"):
        allowed_targets(S.RESOLVED, Actor.CLIENT, now=T0, reopen_window=WEEK)
    with pytest.raises(ValueError, match="resolved_at and now"):
        check_transition(S.RESOLVED, S.REOPENED, Actor.CLIENT, resolved_at=T0, reopen_window=WEEK)


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        within_reopen_window(T0, T0, timedelta(seconds=-1))


def test_window_arguments_are_irrelevant_elsewhere() -> None:
    # Other statuses never look at the window, so incomplete arguments are fine.
    assert allowed_targets(S.WAITING_ON_CLIENT, Actor.CLIENT, reopen_window=WEEK) == ()
    assert allowed_targets(S.RESOLVED, Actor.STAFF, reopen_window=WEEK) == (
        S.REOPENED,
        S.CLOSED,
    )


def test_error_message_names_allowed_targets() -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(S.NEW, S.CLOSED, Actor.STAFF)
    assert str(caught.value) == (
        "cannot change status from new to closed as staff; "
        "allowed: assigned, in_progress, waiting_on_client, resolved"
    )
    with pytest.raises(IllegalTransition) as caught:
        check_transition(S.IN_PROGRESS, S.RESOLVED, Actor.CLIENT)
    assert str(caught.value).endswith("allowed: none")


# --- client reply, auto-close, SLA pause --------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_status_after_client_reply(status: Status) -> None:
    expected = S.IN_PROGRESS if status is S.WAITING_ON_CLIENT else None
    assert status_after_client_reply(status) is expected
    if expected is not None:  # the move it asks for is one the system may make
        check_transition(status, expected, Actor.SYSTEM)


@pytest.mark.parametrize("status", list(Status))
def test_only_resolved_is_auto_closed(status: Status) -> None:
    late = T0 + timedelta(days=365)
    assert due_for_auto_close(status, T0, late, WEEK) is (status is S.RESOLVED)


def test_auto_close_boundary() -> None:
    assert not due_for_auto_close(S.RESOLVED, T0, T0, WEEK)
    assert not due_for_auto_close(S.RESOLVED, T0, T0 + WEEK - timedelta(microseconds=1), WEEK)
    assert due_for_auto_close(S.RESOLVED, T0, T0 + WEEK, WEEK)
    assert due_for_auto_close(S.RESOLVED, T0, T0 + WEEK + timedelta(days=1), WEEK)
    assert due_for_auto_close(S.RESOLVED, T0, T0, timedelta(0))
    assert due_for_auto_close(S.RESOLVED, T0, T0 + timedelta(seconds=3), timedelta(seconds=3))


def test_auto_close_needs_a_resolution_time() -> None:
    assert not due_for_auto_close(S.RESOLVED, None, T0 + timedelta(days=365), WEEK)


def test_auto_close_refuses_negative_delay() -> None:
    with pytest.raises(ValueError, match="negative"):
        due_for_auto_close(S.RESOLVED, T0, T0, timedelta(seconds=-1))
