"""Retry delays: exponential in the attempt, jittered within ±25 %, capped."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notify.backoff import JITTER, MAX_DELAY, is_last, retry_delay


@given(
    st.integers(min_value=1, max_value=200),
    st.floats(min_value=0.01, max_value=600),
    st.integers(min_value=0, max_value=2**32),
)
def test_delay_is_the_doubled_base_within_the_jitter_and_capped(
    attempt: int, base: float, seed: int
) -> None:
    delay = retry_delay(attempt, base, rng=random.Random(seed)).total_seconds()
    nominal = min(base * 2 ** min(attempt - 1, 40), MAX_DELAY.total_seconds())
    assert nominal * (1 - JITTER) - 1e-6 <= delay <= nominal * (1 + JITTER) + 1e-6


def test_delays_grow_exponentially() -> None:
    no_jitter = random.Random(0)
    no_jitter.uniform = lambda low, high: 1.0  # type: ignore[method-assign]
    delays = [retry_delay(n, 2.0, rng=no_jitter).total_seconds() for n in range(1, 6)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0]


def test_jitter_spreads_deliveries_that_failed_together() -> None:
    rng = random.Random(7)
    assert len({retry_delay(3, 2.0, rng=rng) for _ in range(20)}) > 10


def test_attempts_are_one_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        retry_delay(0, 1.0)


@pytest.mark.parametrize(
    ("attempt", "limit", "last"), [(1, 1, True), (1, 3, False), (3, 3, True), (4, 3, True)]
)
def test_is_last(attempt: int, limit: int, last: bool) -> None:
    assert is_last(attempt, limit) is last
