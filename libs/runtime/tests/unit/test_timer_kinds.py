"""The rules of timers that need no database: a kind's family picks its handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from desk_runtime import timers
from desk_runtime.service import Service, UnitOfWork
from desk_runtime.timers import FiredTimer, Timer, TimerScheduler, family_of


async def nothing(uow: UnitOfWork, fired: list[FiredTimer]) -> None:
    return None


def test_the_family_is_the_kind_before_its_qualifier() -> None:
    assert family_of("response_breach") == "response_breach"
    assert family_of("next_reply_breach:20260309T101500.000000Z") == "next_reply_breach"
    assert family_of("escalation:2:group_head") == "escalation"


def test_a_fired_timer_knows_its_family_and_lateness() -> None:
    due = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    fired = FiredTimer("service_notice:2027", "asset-1", due, {}, due + timedelta(seconds=0.25))
    assert fired.family == "service_notice"
    assert fired.lateness == pytest.approx(0.25)


@pytest.mark.parametrize("family", ["escalation:1", ""])
def test_handlers_are_registered_for_families(family: str) -> None:
    with pytest.raises(ValueError, match="family"):
        TimerScheduler(Service("probe"), {family: nothing})


async def test_replacing_a_keys_timers_takes_only_timers_of_that_key() -> None:
    due = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    conn: Any = None  # refused before any statement
    with pytest.raises(ValueError, match="that key"):
        await timers.replace(conn, "a", [Timer("ring", "a", due), Timer("ring", "b", due)])
