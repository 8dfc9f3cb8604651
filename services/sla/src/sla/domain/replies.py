"""The next-reply clock (SPEC §4): from the oldest unanswered public client entry to
the next public staff entry.

Choices: the clock's target is the first-response target of the incident's rule (a
contract states one response time; every answer is held to it); before the first
response the first-response clock already measures the wait, so a client entry opens a
next-reply clock only after it; while a clock runs, further client entries do not move
it (the oldest unanswered one counts).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from .calendar import WorkingCalendar


class ReplyTurn(StrEnum):
    OPEN = "open"  # a client now waits for an answer
    ANSWER = "answer"  # staff answered the waiting client
    NONE = "none"


def reply_turn(
    *,
    public: bool,
    from_staff: bool,
    first_response_done: bool,
    waiting_since: datetime | None,
) -> ReplyTurn:
    """What a new conversation entry does to the next-reply clock."""
    if not public:
        return ReplyTurn.NONE  # internal notes are not answers and ask for none
    if from_staff:
        return ReplyTurn.ANSWER if waiting_since is not None else ReplyTurn.NONE
    if first_response_done and waiting_since is None:
        return ReplyTurn.OPEN
    return ReplyTurn.NONE


def next_reply_due(
    calendar: WorkingCalendar, waiting_since: datetime, target: timedelta
) -> datetime:
    """The answer is due `target` of business time after the client wrote."""
    return calendar.add(waiting_since, target)
