"""When `desk-run` restarts a child that died, how long it waits, and when it gives up.

Pure: the supervisor feeds in when a child started and when it exited (monotonic
seconds) and gets back a verdict and the child's new history. No clock, no processes.

- Every exit counts as a death, whatever the exit code: a service is meant to run until
  the supervisor stops it.
- The wait before a restart starts at `first_delay` and doubles with each death in a
  row, up to `max_delay`. A run that lasted `stable_after` seconds or more starts the
  doubling over: the child had recovered, this is a new failure.
- A child that dies `max_deaths` times within `window_seconds` (this death included)
  is not restarted: it keeps dying, and the desk stops with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChildHistory:
    """What the policy remembers of one child."""

    # Exit times (monotonic seconds) still inside the window, oldest first.
    deaths: tuple[float, ...] = ()
    # Deaths in a row since the child last ran for `stable_after` seconds.
    rapid: int = 0
    # Restarts decided so far.
    restarts: int = 0


@dataclass(frozen=True)
class Restart:
    delay: float
    # Which restart this is (1 for the first).
    restart: int


@dataclass(frozen=True)
class GiveUp:
    deaths: int
    window_seconds: float


Verdict = Restart | GiveUp


@dataclass(frozen=True)
class RestartPolicy:
    max_deaths: int = 5
    window_seconds: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 5.0
    stable_after: float = 30.0

    def __post_init__(self) -> None:
        if self.max_deaths < 1:
            raise ValueError("max_deaths must be at least 1")
        if self.window_seconds <= 0 or self.stable_after <= 0:
            raise ValueError("window_seconds and stable_after must be positive")
        if not 0 <= self.first_delay <= self.max_delay:
            raise ValueError("need 0 <= first_delay <= max_delay")

    def delay(self, rapid: int) -> float:
        """The wait before the restart after the `rapid`-th death in a row (1, 2, …)."""
        if rapid < 1:
            raise ValueError("rapid counts deaths, from 1")
        # Past 64 doublings every delay is capped anyway; no huge powers.
        return min(self.max_delay, self.first_delay * 2.0 ** min(rapid - 1, 64))

    def after_exit(
        self, history: ChildHistory, *, started_at: float, exited_at: float
    ) -> tuple[Verdict, ChildHistory]:
        """The verdict on a child that ran from `started_at` to `exited_at`."""
        deaths = (*(d for d in history.deaths if exited_at - d < self.window_seconds), exited_at)
        ran_long = exited_at - started_at >= self.stable_after
        rapid = 1 if ran_long else history.rapid + 1
        if len(deaths) >= self.max_deaths:
            return GiveUp(len(deaths), self.window_seconds), ChildHistory(
                deaths, rapid, history.restarts
            )
        restarts = history.restarts + 1
        return Restart(self.delay(rapid), restarts), ChildHistory(deaths, rapid, restarts)
