"""When to try a failed delivery again: exponential backoff with jitter, capped."""

from __future__ import annotations

import random
from datetime import timedelta

# However many attempts, never wait longer than this between two of them.
MAX_DELAY = timedelta(hours=6)
# ±25 %: deliveries that failed together (a mail server down) do not retry together.
JITTER = 0.25


def retry_delay(
    attempt: int, base_seconds: float, *, rng: random.Random | None = None
) -> timedelta:
    """Delay before attempt `attempt + 1`, after `attempt` (1-based) failed."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    exponent = min(attempt - 1, 40)  # 2**40 × anything is past the cap already
    seconds = min(base_seconds * 2**exponent, MAX_DELAY.total_seconds())
    return timedelta(seconds=seconds * spread)


def is_last(attempt: int, max_attempts: int) -> bool:
    return attempt >= max_attempts
