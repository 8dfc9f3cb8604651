"""The clock state replayed from an incident's status history: whatever order the
changes arrive in, the state and the pauses are those of the changes as they happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk_contracts.enums import Status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sla.domain import CLIENT_WAIT, RESOLVED_SPAN, Pause
from sla.domain.history import StatusChange, ordered, replay

T0 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
N, A, P, W, R, RE, C = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_ON_CLIENT,
    Status.RESOLVED,
    Status.REOPENED,
    Status.CLOSED,
)

# SPEC §3's life cycle.
NEXT = {
    N: (A, P),
    A: (P, W, R),
    P: (W, R),
    W: (P, R),
    R: (RE, C),
    RE: (P, W, R),
    C: (),
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def change(seconds: float, previous: Status, status: Status) -> StatusChange:
    return StatusChange(at(seconds), previous, status)


def test_a_wait_whose_end_arrived_first_is_a_closed_pause() -> None:
    """S2 (waiting → in progress) handled before S1 (in progress → waiting)."""
    s1, s2 = change(1, P, W), change(3, W, P)
    early = replay([s2])
    assert (early.status, early.pauses) == (P, ())
    late = replay([s2, s1])
    assert late.status is P
    assert late.pauses == (Pause(at(1), at(3), CLIENT_WAIT),)
    assert late == replay([s1, s2])


def test_an_older_change_does_not_undo_a_newer_one() -> None:
    state = replay([change(5, R, RE), change(2, P, R)])
    assert state.status is RE
    assert state.pauses == (Pause(at(2), at(5), RESOLVED_SPAN),)
    # Reopened: the resolution's actual time no longer stands.
    assert state.resolved_at is None


def test_resolved_keeps_its_time_and_closing_keeps_the_stop_open() -> None:
    state = replay([change(9, R, C), change(1, P, W), change(4, W, R)])
    assert (state.status, state.resolved_at, state.closed_at) == (C, at(4), at(9))
    assert state.pauses == (Pause(at(1), at(4), CLIENT_WAIT), Pause(at(4), None, RESOLVED_SPAN))


def test_resolved_again_after_a_reopen_counts_from_the_new_resolve() -> None:
    state = replay([change(1, P, R), change(3, R, RE), change(6, RE, R)])
    assert state.resolved_at == at(6)
    assert state.pauses == (
        Pause(at(1), at(3), RESOLVED_SPAN),
        Pause(at(6), None, RESOLVED_SPAN),
    )


def test_duplicates_change_nothing() -> None:
    once = [change(1, P, W), change(2, W, P)]
    assert replay(once + once) == replay(once)


def test_equal_instants_follow_the_chain_of_states() -> None:
    """Resolved and closed in the same instant: the close comes after the resolve."""
    forward = [change(1, P, R), change(1, R, C)]
    assert [c.status for c in ordered(reversed(forward))] == [R, C]
    assert replay(reversed(forward)).pauses == (Pause(at(1), None, RESOLVED_SPAN),)


@st.composite
def histories(draw: st.DrawFn, *, ties: bool) -> list[StatusChange]:
    """A walk through the life cycle; with `ties`, some steps share an instant."""
    status = draw(st.sampled_from([N, A, P]))
    seconds = 0.0
    walk: list[StatusChange] = []
    for _ in range(draw(st.integers(1, 12))):
        options = NEXT[status]
        if not options:
            break
        following = draw(st.sampled_from(options))
        seconds += draw(st.sampled_from([0.0, 1.0, 2.5]) if ties else st.sampled_from([1.0, 2.5]))
        walk.append(change(seconds, status, following))
        status = following
    return walk


PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(st.data())
def test_any_arrival_order_gives_the_state_of_the_ordered_history(data: st.DataObject) -> None:
    walk = data.draw(histories(ties=True))
    arrived = data.draw(st.permutations(walk))
    # Changes in one instant have no order of their own; whichever is taken, it is
    # the same for every arrival order.
    assert ordered(arrived) == ordered(walk)
    assert replay(arrived) == replay(walk)


@PROPERTIES
@given(st.data())
def test_changes_at_distinct_instants_are_put_back_in_order(data: st.DataObject) -> None:
    walk = data.draw(histories(ties=False))
    arrived = data.draw(st.permutations(walk))
    assert ordered(arrived) == walk
    assert replay(arrived) == replay(walk)


@PROPERTIES
@given(histories(ties=False))
def test_the_pauses_are_the_time_spent_waiting_and_resolved(walk: list[StatusChange]) -> None:
    state = replay(walk)
    assert state.status is walk[-1].status
    spans: list[tuple[str, datetime, datetime | None]] = []
    for index, step in enumerate(walk):
        kind = {W: CLIENT_WAIT, R: RESOLVED_SPAN}.get(step.status)
        if kind is None:
            continue
        # A stop lasts until the next state that holds no stop of its kind; a close
        # keeps a resolved stop open.
        ends = [s.at for s in walk[index + 1 :] if s.status not in (step.status, C)]
        spans.append((kind, step.at, ends[0] if ends else None))
    assert [(p.kind, p.started_at, p.ended_at) for p in state.pauses] == spans
    # At most one stop is open, and it is the last one.
    assert all(p.ended_at is not None for p in state.pauses[:-1])
