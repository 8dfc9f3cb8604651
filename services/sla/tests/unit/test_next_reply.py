"""The next-reply clock's turns: who opens it, who answers it, what leaves it alone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sla.domain import WorkingCalendar
from sla.domain.replies import ReplyTurn, next_reply_due, reply_turn

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
