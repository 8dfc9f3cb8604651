"""The next-reply clock (SPEC §4): from the oldest unanswered public client entry to
the next public staff entry.

Choices: the clock's target is the first-response target of the incident's rule (a
contract states one response time; every answer is held to it); before the first
response the first-response clock already measures the wait, so a client entry opens a
next-reply clock only after it; while a clock runs, further client entries do not move
it (the oldest unanswered one counts); like the other clocks it stands still while the
incident waits on the client or is resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from .calendar import WorkingCalendar
from .deadlines import Pause, business_elapsed, clock_instant


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
    calendar: WorkingCalendar,
    waiting_since: datetime,
    target: timedelta,
    pauses: Sequence[Pause] = (),
    now: datetime | None = None,
) -> datetime:
    """The answer is due `target` of business time after the client wrote, moved by the
    stops after that (waits on the client, time spent resolved) like the other clocks;
    stops that ended before the client wrote do not count. An open stop is measured up
    to `now`, so the due time is recomputed when it ends."""
    return clock_instant(calendar, waiting_since, pauses, target, now)


def reply_business_time(
    calendar: WorkingCalendar,
    waiting_since: datetime,
    answered_at: datetime,
    pauses: Sequence[Pause],
) -> timedelta:
    """How long the client waited for the answer, in business time, not counting the
    stops (an open one up to the answer)."""
    return business_elapsed(calendar, waiting_since, answered_at, pauses)
