"""How an answer to a suggestion moves its article's counters: the first answer is one
more rated (and one more helped if it helped); a changed answer moves only `helped`."""

from __future__ import annotations


def counter_changes(before: bool | None, now: bool) -> tuple[int, int]:
    """(change of `rated`, change of `helped`)."""
    rated = 1 if before is None else 0
    helped = int(now) - int(bool(before))
    return rated, helped
