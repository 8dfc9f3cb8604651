"""The supervisor's restart policy: when a dead child comes back, after how long, and
when the desk gives up on it — checked against a plain re-statement of the rules."""

from __future__ import annotations

import pytest
from desk_runtime.restart_policy import ChildHistory, GiveUp, Restart, RestartPolicy, Verdict
from hypothesis import given
from hypothesis import strategies as st

DEFAULT = RestartPolicy()


def crash_loop(
    policy: RestartPolicy, runs: list[tuple[float, float]]
) -> list[tuple[Verdict, ChildHistory]]:
    """Feed the policy a child that runs `up` seconds, then stays down `down` seconds
    before its next start, for each (up, down); stops at the first GiveUp."""
    history = ChildHistory()
    now = 0.0
    verdicts = []
    for up, down in runs:
        started, now = now, now + up
        verdict, history = policy.after_exit(history, started_at=started, exited_at=now)
        verdicts.append((verdict, history))
        if isinstance(verdict, GiveUp):
            break
        now += down
    return verdicts


def test_a_child_dying_at_once_waits_longer_each_time_then_stops_the_desk() -> None:
    verdicts = [v for v, _ in crash_loop(DEFAULT, [(0.1, 0.0)] * 10)]
    assert verdicts == [
        Restart(0.5, 1),
        Restart(1.0, 2),
        Restart(2.0, 3),
        Restart(4.0, 4),
        GiveUp(5, 60.0),
    ]


def test_the_delay_is_capped() -> None:
    policy = RestartPolicy(max_deaths=100)
    delays = [v.delay for v, _ in crash_loop(policy, [(0.0, 0.0)] * 8) if isinstance(v, Restart)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]


def test_a_child_that_stayed_up_starts_the_doubling_over() -> None:
    policy = RestartPolicy(max_deaths=10)
    verdicts = [v for v, _ in crash_loop(policy, [(1, 0), (1, 0), (1, 0), (45, 0), (1, 0)])]
    assert [v.delay for v in verdicts if isinstance(v, Restart)] == [0.5, 1.0, 2.0, 0.5, 1.0]


def test_five_deaths_spread_over_more_than_the_window_keep_it_running() -> None:
    # Killed every 15 s: each death comes 60 s after the one four before, out of its window.
    verdicts = [v for v, _ in crash_loop(DEFAULT, [(15, 0)] * 24)]
    assert all(isinstance(v, Restart) for v in verdicts)
    assert len(verdicts) == 24
    # Every 14 s: the fifth death, 56 s after the first, stops it.
    faster = [v for v, _ in crash_loop(DEFAULT, [(14, 0)] * 10)]
    assert len(faster) == 5
    assert faster[-1] == GiveUp(5, 60.0)


def test_only_deaths_inside_the_window_are_remembered() -> None:
    _, history = crash_loop(DEFAULT, [(0, 0), (0, 0), (0, 0), (70, 0)])[-1]
    assert history.deaths == (70.0,)
    assert history.restarts == 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_deaths": 0},
        {"window_seconds": 0},
        {"stable_after": -1},
        {"first_delay": -0.1},
        {"first_delay": 6, "max_delay": 5},
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        RestartPolicy(**kwargs)  # type: ignore[arg-type]


def test_the_delay_counts_deaths_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        DEFAULT.delay(0)


policies = st.builds(
    RestartPolicy,
    max_deaths=st.integers(1, 8),
    window_seconds=st.floats(1, 120),
    first_delay=st.floats(0, 2),
    max_delay=st.floats(2, 10),
    stable_after=st.floats(1, 60),
)
runs = st.lists(st.tuples(st.floats(0, 100), st.floats(0, 20)), min_size=1, max_size=40)


@given(policies, st.integers(1, 500), st.integers(1, 500))
def test_delays_never_shrink_with_more_deaths_and_stay_in_bounds(
    policy: RestartPolicy, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    assert policy.first_delay <= policy.delay(low) <= policy.delay(high) <= policy.max_delay


@given(policies, runs)
def test_the_policy_follows_its_rules(
    policy: RestartPolicy, runs: list[tuple[float, float]]
) -> None:
    """The same rules, written out longhand over the whole run: give up at the first death
    that makes `max_deaths` within the window; otherwise restart, numbered in order, with
    the delay of the deaths in a row since the last long run."""
    verdicts = crash_loop(policy, runs)
    now, exits, rapid = 0.0, [], 0
    for index, ((up, down), (verdict, history)) in enumerate(zip(runs, verdicts, strict=False)):
        started, now = now, now + up
        exits.append(now)
        # The run's length as the supervisor sees it: exit time less start time.
        rapid = 1 if now - started >= policy.stable_after else rapid + 1
        recent = [t for t in exits if now - t < policy.window_seconds]
        assert history.deaths == tuple(recent)
        if len(recent) >= policy.max_deaths:
            assert verdict == GiveUp(len(recent), policy.window_seconds)
            assert index == len(verdicts) - 1
            assert history.restarts == index
            return
        assert verdict == Restart(
            min(policy.max_delay, policy.first_delay * 2 ** (rapid - 1)), index + 1
        )
        assert history.restarts == index + 1
        now += down
    assert len(verdicts) == len(runs)


@given(
    st.integers(2, 8),
    st.floats(1, 120),
    st.lists(st.floats(0, 30), min_size=1, max_size=30),
)
def test_a_child_dying_less_often_than_the_window_is_restarted_for_ever(
    max_deaths: int, window: float, downs: list[float]
) -> None:
    policy = RestartPolicy(max_deaths=max_deaths, window_seconds=window)
    # Each run outlasts the window (by a margin floating-point sums cannot eat).
    verdicts = crash_loop(policy, [(window + 0.5, down) for down in downs])
    assert all(isinstance(v, Restart) for v, _ in verdicts)
    assert [v.restart for v, _ in verdicts if isinstance(v, Restart)] == list(
        range(1, len(downs) + 1)
    )


@given(st.integers(1, 8))
def test_a_child_dying_at_once_is_given_up_on_its_max_deaths_th_death(max_deaths: int) -> None:
    policy = RestartPolicy(max_deaths=max_deaths)
    verdicts = crash_loop(policy, [(0.0, 0.0)] * 20)
    assert len(verdicts) == max_deaths
    assert isinstance(verdicts[-1][0], GiveUp)
    assert verdicts[-1][1].restarts == max_deaths - 1
