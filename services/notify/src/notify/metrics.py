"""notify's own metrics on /metrics: deliveries (the runtime keeps the generic ones)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# One send to an SMTP server or SMS provider: milliseconds to seconds.
_DELIVERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

NOTIFY_DELIVERIES = Counter(
    "desk_notify_deliveries_total",
    "Delivery attempts, by channel (email, sms) and outcome (sent, retry, failed)",
    ["channel", "outcome"],
)
NOTIFY_DELIVERY_SECONDS = Histogram(
    "desk_notify_delivery_duration_seconds",
    "Time one delivery attempt took against the SMTP server or SMS provider, by channel",
    ["channel"],
    buckets=_DELIVERY_BUCKETS,
)
