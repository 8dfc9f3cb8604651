"""The incident life cycle (SPEC §3) as one explicit transition matrix.

SPEC §3 gives the happy path::

    new → assigned → in_progress ⇄ waiting_on_client → resolved → closed
                                                        resolved → reopened → in_progress

The full matrix below is what a mature help desk (Zendesk, Zammad, Znuny) allows on
top of it. Every allowed move, by who moves it:

================== ============================================ ==================== ==========
from               staff                                        client (requester)   system
================== ============================================ ==================== ==========
new                assigned, in_progress, waiting_on_client,    —                    assigned
                   resolved
assigned           in_progress, waiting_on_client, resolved     —                    —
in_progress        waiting_on_client, resolved                  —                    —
waiting_on_client  in_progress, resolved                        —                    in_progress
resolved           reopened, closed                             reopened*, closed    closed
reopened           in_progress, waiting_on_client, resolved     —                    —
closed             — (terminal)                                 —                    —
================== ============================================ ==================== ==========

Decisions behind it:

* ``new`` is only ever the initial status; nothing moves back to it.
* ``assigned`` means "has an assignee, work not started". It is entered when an
  assignee is first set — by routing (system) or by hand (staff). Reassigning an
  incident that is already past ``assigned`` changes the assignee, not the status.
* Staff may skip steps: start work, ask the client, or resolve straight from ``new``
  or ``assigned`` (a one-line answer should not need three clicks). Any open status
  may be resolved by staff.
* ``closed`` is reached only from ``resolved`` so the resolution clock always has an
  end and the client always had the chance to object; there is no "close as spam"
  shortcut — resolve first.
* The client (requester) acts only on a resolved incident: it confirms the
  resolution (→ ``closed``) or reopens it (→ ``reopened``) — the latter only within
  the reopen window counted from ``resolved_at`` (* above). A client's reply while
  ``waiting_on_client`` is not a status request of the client: the system moves the
  incident back to ``in_progress`` (:func:`status_after_client_reply`).
* Staff may reopen a resolved incident at any time (the window binds clients only);
  it is still reported as a reopen.
* ``reopened`` is left by staff picking the work up again (→ ``in_progress``), asking
  the client, or resolving once more.
* The system closes resolved incidents after the configured delay
  (:func:`due_for_auto_close` decides *when*; the matrix only says *whether*).
* Moving to the current status is never a transition (an entry must mean a change).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from desk_contracts.enums import Status

__all__ = [
    "Actor",
    "IllegalTransition",
    "allowed_targets",
    "check_transition",
    "due_for_auto_close",
    "status_after_client_reply",
    "within_reopen_window",
]


class Actor(StrEnum):
    """Who asks for a status change; the matrix differs per actor."""

    CLIENT = "client"
    STAFF = "staff"
    SYSTEM = "system"


_S = Status

_MATRIX: dict[Actor, dict[Status, frozenset[Status]]] = {
    Actor.STAFF: {
        _S.NEW: frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_ON_CLIENT, _S.RESOLVED}),
        _S.ASSIGNED: frozenset({_S.IN_PROGRESS, _S.WAITING_ON_CLIENT, _S.RESOLVED}),
        _S.IN_PROGRESS: frozenset({_S.WAITING_ON_CLIENT, _S.RESOLVED}),
        _S.WAITING_ON_CLIENT: frozenset({_S.IN_PROGRESS, _S.RESOLVED}),
        _S.RESOLVED: frozenset({_S.REOPENED, _S.CLOSED}),
        _S.REOPENED: frozenset({_S.IN_PROGRESS, _S.WAITING_ON_CLIENT, _S.RESOLVED}),
    },
    Actor.CLIENT: {
        _S.RESOLVED: frozenset({_S.REOPENED, _S.CLOSED}),
    },
    Actor.SYSTEM: {
        _S.NEW: frozenset({_S.ASSIGNED}),
        _S.WAITING_ON_CLIENT: frozenset({_S.IN_PROGRESS}),
        _S.RESOLVED: frozenset({_S.CLOSED}),
    },
}


def within_reopen_window(
    resolved_at: datetime | None, now: datetime | None, reopen_window: timedelta | None
) -> bool:
    """Whether a client may still reopen; the window end itself is still inside.

    ``reopen_window=None`` means no window is configured: reopening is allowed until
    the incident closes. With a window, both instants are required — guessing them
    would either lock clients out or let them reopen forever.
    """
    if reopen_window is None:
        return True
    if reopen_window < timedelta(0):
        raise ValueError(f"reopen_window must not be negative, got {reopen_window}")
    if resolved_at is None or now is None:
        raise ValueError("resolved_at and now are required when a reopen_window is given")
    return now <= resolved_at + reopen_window


def allowed_targets(
    current: Status,
    actor: Actor,
    *,
    resolved_at: datetime | None = None,
    now: datetime | None = None,
    reopen_window: timedelta | None = None,
) -> tuple[Status, ...]:
    """Statuses ``actor`` may move an incident to from ``current`` (declaration order).

    The keyword arguments matter only for a client reopening a resolved incident;
    pass them whenever they are known so the answer is the one the UI should offer.
    """
    targets = _MATRIX[actor].get(current, frozenset())
    if (
        actor is Actor.CLIENT
        and Status.REOPENED in targets
        and not within_reopen_window(resolved_at, now, reopen_window)
    ):
        targets = targets - {Status.REOPENED}
    return tuple(s for s in Status if s in targets)


class IllegalTransition(Exception):
    """A refused status change, naming what would have been allowed instead.

    ``field`` lets the HTTP layer render it as a 4xx error on the ``status`` field.
    """

    field = "status"

    def __init__(
        self,
        current: Status,
        target: Status,
        actor: Actor,
        allowed: tuple[Status, ...],
        detail: str | None = None,
    ) -> None:
        self.current = current
        self.target = target
        self.actor = actor
        self.allowed = allowed
        self.detail = detail
        if current is Status.CLOSED:
            options = "none (closed is terminal)"
        else:
            options = ", ".join(allowed) if allowed else "none"
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"cannot change status from {current} to {target} as {actor}{why}; allowed: {options}"
        )


def check_transition(
    current: Status,
    target: Status,
    actor: Actor,
    *,
    resolved_at: datetime | None = None,
    now: datetime | None = None,
    reopen_window: timedelta | None = None,
) -> None:
    """Raise :class:`IllegalTransition` unless ``actor`` may move ``current`` to ``target``."""
    allowed = allowed_targets(
        current, actor, resolved_at=resolved_at, now=now, reopen_window=reopen_window
    )
    if target in allowed:
        return
    detail: str | None = None
    if target is current:
        detail = f"the incident is already {current}"
    elif (
        actor is Actor.CLIENT
        and current is Status.RESOLVED
        and target is Status.REOPENED
        and reopen_window is not None
        and resolved_at is not None
    ):
        detail = f"the reopen window ended at {(resolved_at + reopen_window).isoformat()}"
    raise IllegalTransition(current, target, actor, allowed, detail)


def status_after_client_reply(current: Status) -> Status | None:
    """The status a client's public reply moves the incident to, if any.

    Only ``waiting_on_client`` reacts (→ ``in_progress``, performed by the system);
    a reply in any other status is just a comment.
    """
    return Status.IN_PROGRESS if current is Status.WAITING_ON_CLIENT else None


def due_for_auto_close(
    status: Status, resolved_at: datetime | None, now: datetime, after: timedelta
) -> bool:
    """Whether the system should close a resolved incident now.

    True from ``resolved_at + after`` on (inclusive). An incident without a
    ``resolved_at`` is never closed automatically: closing on missing data could
    not be explained to the client.
    """
    if after < timedelta(0):
        raise ValueError(f"after must not be negative, got {after}")
    return status is Status.RESOLVED and resolved_at is not None and now >= resolved_at + after
