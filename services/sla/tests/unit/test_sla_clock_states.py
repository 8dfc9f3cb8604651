"""Which life-cycle states run the SLA clocks: a move between two running states
changes nothing in the deadlines, so sla skips the recomputation."""

from __future__ import annotations

import pytest
from desk_contracts.enums import Status
from sla.domain.history import STOPPED, pause_kind

RUNNING = {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED}


@pytest.mark.parametrize("status", list(Status))
def test_clocks_run_only_while_nobody_waits_and_nothing_is_finished(status: Status) -> None:
    running = pause_kind(status) is None and status not in STOPPED
    assert running is (status in RUNNING)
