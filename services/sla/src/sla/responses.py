"""Answers to the client: the first public staff reply stops the first-response clock;
later, a public client entry starts the next-reply clock and the next public staff entry
stops it (the turn is the pure `domain.replies.reply_turn`)."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from desk_contracts.enums import EntryKind, Visibility
from desk_contracts.messages import EntryAdded
from desk_runtime.service import UnitOfWork

from . import clocks
from .domain import business_elapsed
from .domain.breaches import standing_breach
from .domain.replies import ReplyTurn, next_reply_due, reply_business_time, reply_turn
from .store import clocks as store

# Entries that answer the client; status and assignment lines are bookkeeping.
RESPONSE_KINDS = (EntryKind.COMMENT, EntryKind.ATTACHMENT)


async def follow_entry(uow: UnitOfWork, event: EntryAdded) -> None:
    """Start or stop the reply clocks the entry concerns, then re-arm the timers."""
    if event.kind not in RESPONSE_KINDS or event.author_role is None:
        return
    conn = uow.conn
    row = await store.require_clock(conn, event.incident_id)
    from_staff = event.author_role.is_staff
    public = event.visibility is Visibility.PUBLIC
    reasons = []
    if public and from_staff and row["first_response_at"] is None:
        await _record_first_response(conn, row, event)
        reasons.append("first_response")
    turn = reply_turn(
        public=public,
        from_staff=from_staff,
        # Only what the client wrote after the first answer asks for a next one.
        first_response_done=row["first_response_at"] is not None
        and event.created_at >= row["first_response_at"],
        waiting_since=row["next_reply_started_at"],
    )
    if turn is ReplyTurn.OPEN:
        await _open_next_reply(conn, row, event)
        reasons.append("next_reply_started")
    elif turn is ReplyTurn.ANSWER:
        await _answer_next_reply(conn, row, event)
        reasons.append("next_reply_answered")
    if reasons:
        # Re-arms the timers: the next-reply breach comes and goes with its clock.
        await clocks.refresh(uow, event.incident_id, ", ".join(reasons))


async def _record_first_response(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    """The first response, measured against the due time as of its own instant (kept
    from now on); `clocks.refresh` then settles the breach, also one that fired before
    this answer, written in time, reached sla."""
    result = await clocks.computation_for(conn, row, event.created_at)
    at = max(event.created_at, row["registered_at"])
    elapsed = business_elapsed(result.calendar, clocks.clock_origin(row), at, result.pauses)
    await store.set_first_response(
        conn, event.incident_id, at, elapsed.total_seconds(), result.deadlines.response_due
    )


async def _open_next_reply(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    result = await clocks.computation_for(conn, row, event.created_at)
    target = result.rule.response
    # `clocks.refresh` moves the due time whenever the stops change.
    await store.open_next_reply(
        conn,
        event.incident_id,
        event.created_at,
        next_reply_due(result.calendar, event.created_at, target, result.pauses, event.created_at),
        target.total_seconds(),
    )


async def _answer_next_reply(
    conn: asyncpg.Connection, row: asyncpg.Record, event: EntryAdded
) -> None:
    """Keep the answered clock as measured and clear the open one."""
    result = await clocks.computation_for(conn, row, event.created_at)
    started = row["next_reply_started_at"]
    at = max(event.created_at, started)
    # Every stop, an open one too (an answer while resolved): none of it counts.
    pauses = await store.pauses_of(conn, event.incident_id)
    target = timedelta(seconds=row["next_reply_target_seconds"])
    due = next_reply_due(result.calendar, started, target, pauses, at)
    await store.answer_next_reply(
        conn,
        event.incident_id,
        started_at=started,
        target_seconds=row["next_reply_target_seconds"],
        due=due,
        answered_at=at,
        business_seconds=reply_business_time(result.calendar, started, at, pauses).total_seconds(),
        # An answer in time is met even if the breach timer fired before it was handled.
        breached_at=standing_breach(due, at, row["next_reply_breached_at"]),
    )
