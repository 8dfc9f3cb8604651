"""sla's own metrics on /metrics: its durable timers (the runtime keeps the generic ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# SLA timers promise to fire within 1 s of their due time.
_LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)

SLA_TIMER_LATENESS = Histogram(
    "desk_sla_timer_lateness_seconds",
    "How long after its due time a timer fired, by timer kind (reminder, escalation, breach…)",
    ["kind"],
    buckets=_LATENESS_BUCKETS,
)
SLA_TIMERS_ARMED = Gauge("desk_sla_timers_armed", "Timers armed and not yet fired")
SLA_TIMERS_FIRED = Counter("desk_sla_timers_fired_total", "Timers fired, by kind", ["kind"])
