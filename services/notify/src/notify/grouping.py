"""A burst of changes makes one message (pure rules, no I/O).

Changes on one incident for one recipient and channel that follow each other within
the grouping window (`DESK_NOTIFY_GROUP_SECONDS`) ride one delivery: its send waits for
the window after the latest change, but never longer than `MAX_WINDOWS` windows after
the first, so a steady trickle still gets its mail. A delivery takes changes until the
sender first claims it; what comes after starts the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

# The kinds whose bursts are grouped: public replies, including files added one by one.
GROUPED_KINDS = frozenset({"public_reply"})

# A group is sent at the latest this many windows after its first change.
MAX_WINDOWS = 6


def groups(kind: str, window_seconds: float) -> bool:
    """Whether deliveries of this kind gather changes (a window of 0 turns it off)."""
    return window_seconds > 0 and kind in GROUPED_KINDS


def window(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def gathering_until(first_at: datetime, window_seconds: float) -> datetime:
    """The latest moment a group begun at `first_at` waits for more changes."""
    return first_at + window(window_seconds) * MAX_WINDOWS


def send_at(now: datetime, until: datetime, window_seconds: float) -> datetime:
    """When a group that took a change at `now` is due: one window later, capped."""
    return min(now + window(window_seconds), until)


def change_values(
    *, author_name: str, text: str, files: Sequence[str], is_files_only: bool
) -> dict[str, Any]:
    """One change as kept with its delivery and shown in its message: who, what they
    wrote (a line that only lists files is worded by the template instead), which files."""
    return {
        "author_name": author_name,
        "entry_text": "" if is_files_only and files else text,
        "files": list(files),
    }


def message_values(changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What a template needs of the changes a delivery carries, oldest first: all of
    them, and the latest one's words under the names single-change templates use."""
    latest = changes[-1]
    return {
        "changes": [dict(change) for change in changes],
        "author_name": latest["author_name"],
        "entry_text": latest["entry_text"],
        "files": list(latest["files"]),
    }
