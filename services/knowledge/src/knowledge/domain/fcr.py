"""First-contact resolution: an incident resolved by the first public staff reply,
with no client reply between that reply and the resolution, and not reopened within
the window after it.

The activity is what intake announced: public replies by staff and by the client,
resolutions and reopens. A reply's status change may carry the same instant as the
reply (the agent answers and resolves in one go), so a resolution at the time of the
reply counts as following it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

REOPEN_WINDOW = timedelta(days=7)

STAFF_REPLY, CLIENT_REPLY, RESOLVED, REOPENED = (
    "staff_reply",
    "client_reply",
    "resolved",
    "reopened",
)
KIND_ORDER = {CLIENT_REPLY: 0, STAFF_REPLY: 1, RESOLVED: 2, REOPENED: 3}


class Outcome(StrEnum):
    OPEN = "open"  # not resolved yet: not counted either way
    FIRST_CONTACT = "first_contact"
    NOT_FIRST_CONTACT = "not_first_contact"


@dataclass(frozen=True)
class Activity:
    at: datetime
    kind: str
    # The knowledge base article a staff reply linked.
    article_id: UUID | None = None


def in_order(activity: Iterable[Activity]) -> list[Activity]:
    """The timeline as it happened; at one instant a reply comes before the resolution
    it brought."""
    return sorted(activity, key=lambda a: (a.at, KIND_ORDER.get(a.kind, 9)))


def outcome(activity: Iterable[Activity], window: timedelta = REOPEN_WINDOW) -> Outcome:
    """Whether the incident was resolved at first contact. An incident resolved less
    than `window` ago counts as first contact until a reopen says otherwise."""
    timeline = in_order(activity)
    staff_replies = 0
    client_after_reply = False
    for index, item in enumerate(timeline):
        if item.kind == STAFF_REPLY:
            staff_replies += 1
        elif item.kind == CLIENT_REPLY:
            if staff_replies:
                client_after_reply = True
        elif item.kind == RESOLVED:
            if staff_replies != 1 or client_after_reply:
                return Outcome.NOT_FIRST_CONTACT
            for later in timeline[index + 1 :]:
                if later.kind == REOPENED and later.at - item.at <= window:
                    return Outcome.NOT_FIRST_CONTACT
            return Outcome.FIRST_CONTACT
        elif item.kind == REOPENED:
            # A reopen before any resolution (the history starts in the middle).
            return Outcome.NOT_FIRST_CONTACT
    return Outcome.OPEN
