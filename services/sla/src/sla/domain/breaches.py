"""Whether a clock's recorded breach still stands once the facts are known (SPEC §4:
`breached` is recorded only at a due time not met).

A breach timer fires on what sla knows at that instant. Facts can arrive later yet have
happened earlier: an answer written before the due time but handled after it (sla was
down, the queue was behind), or a wait on the client that began before the due time and
moves it later. The breach then has to give way to the truth. The notification already
sent cannot be unsent; only the recorded state (the SLA view, the statistics) follows.
"""

from __future__ import annotations

from datetime import datetime


def standing_breach(
    due: datetime,
    actual: datetime | None,
    breached_at: datetime | None,
    final_at: datetime | None = None,
) -> datetime | None:
    """The breach instant a clock keeps, given its current due time, its actual time
    (None while it runs), the breach recorded so far and the instant up to which
    recorded breaches are final (a reclassification made them so).

    - a breach recorded at or before ``final_at`` stands as it is;
    - met (``actual <= due``): no breach, whatever fired before;
    - a due time moved past the recorded breach: the clock was not overdue then, so that
      breach goes (a running clock gets a new timer at ``due``);
    - late (``actual > due``) with no breach standing: breached at the due time;
    - otherwise the recorded breach stands as it was recorded.
    """
    if breached_at is not None and final_at is not None and breached_at <= final_at:
        return breached_at
    if actual is not None and actual <= due:
        return None
    if breached_at is not None and breached_at < due:
        breached_at = None
    if actual is not None and breached_at is None:
        return due
    return breached_at
