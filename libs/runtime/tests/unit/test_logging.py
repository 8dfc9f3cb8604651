"""Log lines: one JSON object each, naming the service and the message being handled,
and nothing below the configured level."""

from __future__ import annotations

import json
import subprocess
import sys

# Logging is process-wide, so it is configured in a process of its own.
_PROGRAM = """
import logging
from desk_runtime.logging import configure_logging, get_logger, log_context

configure_logging("notify", level="WARNING")
log = get_logger("desk.test")
with log_context(correlation_id="c-1", message_id=None):
    log.info("below_the_level", detail=1)
    log.warning("delivery_failed", attempt=2)
logging.getLogger("asyncpg").warning("from the standard library")
"""


def _lines() -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_lines_below_the_level_are_dropped_and_the_rest_carry_their_context() -> None:
    first, second = _lines()
    assert first["event"] == "delivery_failed"
    assert first["level"] == "warning"
    assert first["service"] == "notify"
    assert first["correlation_id"] == "c-1"
    assert first["attempt"] == 2
    assert "message_id" not in first  # an absent value is left out, not logged as None
    assert str(first["timestamp"]).endswith("Z")
    assert second["event"] == "from the standard library"
    assert second["service"] == "notify"
