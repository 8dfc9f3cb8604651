"""A deadline line is written once per change of a due time, and says what moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from intake.domain.deadlines import deadline_line

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=10_000).map(lambda m: T0 + timedelta(minutes=m))


def test_the_first_computation_states_both_due_times_and_the_contract() -> None:
    line = deadline_line(
        previous_response=None,
        previous_resolution=None,
        response_due=T0,
        resolution_due=T0 + timedelta(hours=8),
        contract="Standard v1",
    )
    assert line is not None
    assert line[0] == (
        "Deadlines under Standard v1: first response by 2026-03-02 09:00 UTC, "
        "resolution by 2026-03-02 17:00 UTC."
    )
    assert line[1] == {
        "line": "deadlines",
        "contract": "Standard v1",
        "response": "2026-03-02T09:00:00+00:00",
        "resolution": "2026-03-02T17:00:00+00:00",
    }


def test_a_pause_that_moved_only_the_resolution_says_so() -> None:
    line = deadline_line(
        previous_response=T0,
        previous_resolution=T0 + timedelta(hours=8),
        response_due=T0,
        resolution_due=T0 + timedelta(hours=10),
        contract="Standard v1",
    )
    assert line is not None
    assert line[0] == (
        "Deadlines moved under Standard v1: resolution 2026-03-02 17:00 UTC → 2026-03-02 19:00 UTC."
    )
    assert set(line[1]) == {"line", "contract", "resolution_from", "resolution"}


@given(instants, instants)
def test_a_recomputation_to_the_same_due_times_says_nothing(
    response: datetime, resolution: datetime
) -> None:
    assert (
        deadline_line(
            previous_response=response,
            previous_resolution=resolution,
            response_due=response,
            resolution_due=resolution,
            contract="Gold v3",
        )
        is None
    )


@given(instants, instants, instants, instants)
def test_a_line_names_exactly_the_due_times_that_moved(
    old_response: datetime, old_resolution: datetime, response: datetime, resolution: datetime
) -> None:
    line = deadline_line(
        previous_response=old_response,
        previous_resolution=old_resolution,
        response_due=response,
        resolution_due=resolution,
        contract="Gold v3",
    )
    changed = (old_response != response, old_resolution != resolution)
    assert (line is None) == (changed == (False, False))
    if line is not None:
        text, facts = line
        assert ("first response" in text) == changed[0]
        assert ("resolution" in text) == changed[1]
        assert ("response_from" in facts) == changed[0]
        assert ("resolution_from" in facts) == changed[1]
