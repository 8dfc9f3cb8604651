"""A recorded breach gives way to the facts that arrive after it fired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sla.domain.breaches import standing_breach

DUE = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)

instants = st.integers(min_value=-3600, max_value=3600).map(lambda s: DUE + s * S)


def test_an_answer_written_before_the_due_time_withdraws_a_breach_that_fired() -> None:
    # sla was down: the timer fired at start, before the queued answer was handled.
    assert standing_breach(DUE, DUE - 30 * S, DUE) is None


def test_an_answer_exactly_at_the_due_time_is_met() -> None:
    assert standing_breach(DUE, DUE, DUE) is None


def test_a_late_answer_keeps_the_breach_that_fired() -> None:
    assert standing_breach(DUE, DUE + 30 * S, DUE) == DUE


def test_a_late_answer_with_no_breach_fired_yet_is_breached_at_the_due_time() -> None:
    assert standing_breach(DUE, DUE + 30 * S, None) == DUE


def test_a_wait_that_moves_the_due_past_the_breach_withdraws_it() -> None:
    # Running clock (no answer yet): its timer is armed again at the new due time.
    breached = DUE - 60 * S
    assert standing_breach(DUE, None, breached) is None


def test_a_due_moved_past_the_breach_but_still_missed_is_breached_at_the_new_due() -> None:
    assert standing_breach(DUE, DUE + S, DUE - 60 * S) == DUE


def test_a_running_clock_keeps_a_breach_at_or_after_its_due_time() -> None:
    assert standing_breach(DUE, None, DUE) == DUE


def test_nothing_recorded_on_a_running_clock_stays_so() -> None:
    # The breach timer records it when the time comes.
    assert standing_breach(DUE, None, None) is None


@given(actual=st.none() | instants, breached=st.none() | instants)
def test_a_breach_stands_only_when_the_due_time_was_not_met(
    actual: datetime | None, breached: datetime | None
) -> None:
    standing = standing_breach(DUE, actual, breached)
    if actual is not None:
        # A finished clock is breached exactly when it finished after its due time.
        assert (standing is not None) == (actual > DUE)
    if standing is not None:
        # Never before the due time: nothing was overdue then.
        assert standing >= DUE
        assert standing in (breached, DUE)
    if actual is None and breached is None:
        assert standing is None


@given(actual=st.none() | instants, breached=st.none() | instants)
def test_settling_twice_changes_nothing(actual: datetime | None, breached: datetime | None) -> None:
    once = standing_breach(DUE, actual, breached)
    assert standing_breach(DUE, actual, once) == once


def test_a_breach_made_final_stands_whatever_the_due_time_or_the_answer_says() -> None:
    # Recorded at DUE, then a lower priority (made final then) moved the due a day on.
    later_due = DUE + timedelta(days=1)
    final = DUE + 60 * S
    assert standing_breach(later_due, None, DUE, final) == DUE
    assert standing_breach(later_due, DUE + 120 * S, DUE, final) == DUE
    # A breach recorded after the instant it was made final is judged as usual.
    assert standing_breach(later_due, None, DUE + 120 * S, final) is None


@given(instants, st.one_of(st.none(), instants), instants)
def test_a_final_breach_is_never_withdrawn(
    due: datetime, actual: datetime | None, breached: datetime
) -> None:
    assert standing_breach(due, actual, breached, final_at=breached) == breached
