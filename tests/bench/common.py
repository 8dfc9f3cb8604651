"""What the benchmarks share: latency percentiles in the reports' shape."""

from __future__ import annotations

import statistics


def latency_percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds, from samples in seconds."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)
    q = (
        [ordered[0]] * 99
        if len(ordered) == 1
        else statistics.quantiles(ordered, n=100, method="inclusive")
    )
    return {
        "p50": round(q[49] * 1000, 1),
        "p95": round(q[94] * 1000, 1),
        "p99": round(q[98] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }
