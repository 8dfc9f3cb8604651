"""The next-reply clock's turns: who opens it, who answers it, what leaves it alone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sla.domain import CLIENT_WAIT, RESOLVED_SPAN, Pause, WorkingCalendar
from sla.domain.replies import ReplyTurn, next_reply_due, reply_business_time, reply_turn

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def test_a_public_client_entry_after_the_first_response_opens_the_clock() -> None:
    turn = reply_turn(public=True, from_staff=False, first_response_done=True, waiting_since=None)
    assert turn is ReplyTurn.OPEN


def test_before_the_first_response_the_first_response_clock_measures_the_wait() -> None:
    turn = reply_turn(public=True, from_staff=False, first_response_done=False, waiting_since=None)
    assert turn is ReplyTurn.NONE


def test_a_second_client_entry_keeps_the_oldest_unanswered_one() -> None:
    turn = reply_turn(public=True, from_staff=False, first_response_done=True, waiting_since=T0)
    assert turn is ReplyTurn.NONE


def test_a_public_staff_entry_answers_a_waiting_client() -> None:
    turn = reply_turn(public=True, from_staff=True, first_response_done=True, waiting_since=T0)
    assert turn is ReplyTurn.ANSWER


def test_a_staff_entry_with_nobody_waiting_changes_nothing() -> None:
    turn = reply_turn(public=True, from_staff=True, first_response_done=True, waiting_since=None)
    assert turn is ReplyTurn.NONE


@given(
    from_staff=st.booleans(),
    first_response_done=st.booleans(),
    waiting=st.booleans(),
)
def test_internal_notes_neither_ask_nor_answer(
    from_staff: bool, first_response_done: bool, waiting: bool
) -> None:
    turn = reply_turn(
        public=False,
        from_staff=from_staff,
        first_response_done=first_response_done,
        waiting_since=T0 if waiting else None,
    )
    assert turn is ReplyTurn.NONE


@pytest.mark.parametrize(
    ("written", "target", "due"),
    [
        # Within working hours: plain addition.
        (
            datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
            timedelta(hours=2),
            datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        ),
        # Written after hours on Friday: the clock starts on Monday morning.
        (
            datetime(2026, 3, 6, 17, 0, tzinfo=UTC),
            timedelta(hours=1),
            datetime(2026, 3, 9, 7, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_answer_is_due_in_business_time(
    written: datetime, target: timedelta, due: datetime
) -> None:
    # 09:00–18:00 Moscow (06:00–15:00 UTC), Monday to Friday.
    calendar = WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))
    assert next_reply_due(calendar, written, target) == due


# --- pauses after the client wrote move the due time ----------------------------------

ALWAYS = WorkingCalendar.twenty_four_seven()
H = timedelta(hours=1)


def test_a_wait_on_the_client_after_the_question_moves_the_due_time() -> None:
    wait = Pause(T0 + H, T0 + 3 * H, CLIENT_WAIT)
    assert next_reply_due(ALWAYS, T0, 4 * H, (wait,)) == T0 + 6 * H


def test_a_long_resolved_span_after_the_question_does_not_count() -> None:
    # "Thanks", resolved an hour later without a reply, reopened a week after that.
    resolved = Pause(T0 + H, T0 + 7 * 24 * H + H, RESOLVED_SPAN)
    due = next_reply_due(ALWAYS, T0, 4 * H, (resolved,))
    assert due == T0 + 7 * 24 * H + 4 * H
    assert due > resolved.ended_at  # type: ignore[operator]


def test_stops_before_the_question_or_after_the_due_time_do_not_move_it() -> None:
    before = Pause(T0 - 5 * H, T0 - H, CLIENT_WAIT)
    after = Pause(T0 + 5 * H, T0 + 9 * H, RESOLVED_SPAN)
    assert next_reply_due(ALWAYS, T0, 4 * H, (before, after)) == T0 + 4 * H


def test_a_stop_open_when_the_client_wrote_holds_the_clock_until_it_ends() -> None:
    waiting = Pause(T0 - H, T0 + 2 * H, CLIENT_WAIT)
    assert next_reply_due(ALWAYS, T0, 4 * H, (waiting,)) == T0 + 6 * H


def test_an_open_stop_is_measured_up_to_now() -> None:
    waiting = Pause(T0 + H, None, CLIENT_WAIT)
    assert next_reply_due(ALWAYS, T0, 4 * H, (waiting,), T0 + 3 * H) == T0 + 6 * H


def test_the_wait_for_an_answer_does_not_count_the_stops() -> None:
    stops = (Pause(T0 + H, T0 + 2 * H, CLIENT_WAIT), Pause(T0 + 3 * H, None, RESOLVED_SPAN))
    assert reply_business_time(ALWAYS, T0, T0 + 5 * H, stops) == 2 * H


pause_spans = st.lists(
    st.tuples(
        st.integers(0, 200), st.integers(0, 50), st.sampled_from([CLIENT_WAIT, RESOLVED_SPAN])
    ),
    max_size=4,
)


def _pauses(spans: list[tuple[int, int, str]]) -> tuple[Pause, ...]:
    """Non-overlapping stops in the order given (gap before each, length, kind)."""
    pauses, cursor = [], T0 - 10 * H
    for gap, length, kind in spans:
        start = cursor + gap * timedelta(minutes=10)
        cursor = start + length * timedelta(minutes=10)
        pauses.append(Pause(start, cursor, kind))
    return tuple(pauses)


@given(spans=pause_spans, target_minutes=st.integers(1, 2000))
def test_the_answer_due_leaves_exactly_the_target_of_unpaused_time(
    spans: list[tuple[int, int, str]], target_minutes: int
) -> None:
    pauses = _pauses(spans)
    target = timedelta(minutes=target_minutes)
    due = next_reply_due(ALWAYS, T0, target, pauses)
    assert due >= T0 + target  # a stop only ever moves it later
    assert reply_business_time(ALWAYS, T0, due, pauses) == target


@given(spans=pause_spans, target_minutes=st.integers(1, 2000))
def test_the_answer_due_in_business_hours_leaves_the_target_of_working_time(
    spans: list[tuple[int, int, str]], target_minutes: int
) -> None:
    calendar = WorkingCalendar.office_hours("Europe/Moscow", time(9), time(18))
    pauses = _pauses(spans)
    target = timedelta(minutes=target_minutes)
    due = next_reply_due(calendar, T0, target, pauses)
    assert reply_business_time(calendar, T0, due, pauses) == target
