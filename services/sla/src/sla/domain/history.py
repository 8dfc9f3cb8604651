"""An incident's clock state as its status history says, in the order things happened.

Status changes reach sla in any order (retries, parallel redelivery), so the state is
never "the last message handled" but a replay of every change known so far, sorted by
the time it happened. Any arrival order of the same changes gives the same state, and a
change that turns up late still has its interval booked (a late start of a wait whose
end is already known becomes a closed pause).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from desk_contracts.enums import Status

from .deadlines import CLIENT_WAIT, RESOLVED_SPAN, Pause

# The clocks stop for good (until a reopen) in these states.
STOPPED = frozenset({Status.RESOLVED, Status.CLOSED})


@dataclass(frozen=True)
class StatusChange:
    """One transition as intake announced it."""

    at: datetime
    previous: Status
    status: Status


@dataclass(frozen=True)
class ClockState:
    status: Status
    pauses: tuple[Pause, ...]
    # The resolution's actual time while the incident stays resolved (or closed).
    resolved_at: datetime | None
    closed_at: datetime | None


def pause_kind(status: Status) -> str | None:
    """Which stop a state holds the clocks in, if any."""
    if status is Status.WAITING_ON_CLIENT:
        return CLIENT_WAIT
    if status is Status.RESOLVED:
        return RESOLVED_SPAN
    return None


def ordered(changes: Iterable[StatusChange]) -> list[StatusChange]:
    """The changes as they happened. Equal instants are chained by `previous` (the one
    that leaves the state reached so far comes first, else one that starts a chain),
    then by name, so the order depends only on the set of changes, never on how they
    arrived."""
    pending = sorted(set(changes), key=lambda c: (c.at, c.previous.value, c.status.value))
    result: list[StatusChange] = []
    current: Status | None = None
    while pending:
        tied = [c for c in pending if c.at == pending[0].at]
        reached = {c.status for c in tied}
        pick = next(
            (c for c in tied if c.previous == current),
            # Else the start of a chain: a change from a state no tied change reaches.
            next((c for c in tied if c.previous not in reached), tied[0]),
        )
        pending.remove(pick)
        result.append(pick)
        current = pick.status
    return result


def replay(changes: Iterable[StatusChange]) -> ClockState:
    """The clock state after `changes` (at least one), applied in the order they happened.

    Waiting on the client and being resolved each open a stop; any other state closes
    the open one. Closing keeps the resolved stop open: the plan stays as resolved."""
    history = ordered(changes)
    if not history:
        raise ValueError("a clock state needs at least one status change")
    pauses: list[Pause] = []
    stop: tuple[str, datetime] | None = None  # the open stop's kind and start
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    for change in history:
        if change.status is not Status.CLOSED:
            kind = pause_kind(change.status)
            if stop is not None and stop[0] != kind:
                pauses.append(Pause(stop[1], change.at, stop[0]))
                stop = None
            if kind is not None and stop is None:
                stop = (kind, change.at)
        # Leaving resolved (a reopen) makes the resolution's actual time void again.
        if change.previous in STOPPED and change.status not in STOPPED:
            resolved_at = None
        if change.status is Status.RESOLVED and resolved_at is None:
            resolved_at = change.at
        if change.status is Status.CLOSED and closed_at is None:
            closed_at = change.at
    if stop is not None:
        pauses.append(Pause(stop[1], None, stop[0]))
    return ClockState(history[-1].status, tuple(pauses), resolved_at, closed_at)
