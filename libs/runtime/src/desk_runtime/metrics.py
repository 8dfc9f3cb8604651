"""Prometheus metrics every service shares (each process has its own registry).

The generic ones are defined here, once, so names and labels stay the same across the
five services and an operator's dashboards work for all of them: messages consumed and
their handling time, inbox duplicates, parked messages, questions answered, the outbox,
readiness, the gateway's HTTP. What only one service measures lives with that service
(`sla/metrics.py`, `routing/metrics.py`, `notify/metrics.py`). A process only exposes
the series it actually touched (plus the unlabelled ones).

Naming follows Prometheus conventions: `desk_` prefix, base units (seconds), `_total`
for counters. The `queue` label names one consumer queue, which is one handler
(`<namespace>.<service>.<routing key>`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Handling of one message takes milliseconds to seconds.
_HANDLING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
# HTTP requests of the gateway: fast reads up to slow uploads.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# --- messaging (wired in desk_runtime.service and desk_runtime.outbox) ------------------

MESSAGES_CONSUMED = Counter(
    "desk_messages_consumed_total",
    "Messages handled, by queue (one queue per handler) and outcome: ok, failed, duplicate, "
    "parked (a fact it builds on has not arrived yet)",
    ["queue", "outcome"],
)
MESSAGE_HANDLING_SECONDS = Histogram(
    "desk_message_handling_seconds",
    "Time spent handling one message, by queue",
    ["queue"],
    buckets=_HANDLING_BUCKETS,
)
MESSAGE_BATCH_SIZE = Histogram(
    "desk_message_batch_size",
    "Deliveries of one queue handled in one transaction (they queue up under load)",
    ["queue"],
    buckets=(1, 2, 5, 10, 20, 50),
)
INBOX_DUPLICATES = Counter(
    "desk_inbox_duplicates_total", "Redelivered messages recognised and skipped", ["queue"]
)
MESSAGES_PUBLISHED = Counter(
    "desk_messages_published_total",
    "Messages the outbox relay published and the broker confirmed, by routing key",
    ["routing_key"],
)
OUTBOX_PUBLISHED = Counter("desk_outbox_published_total", "Outbox messages confirmed by the broker")
OUTBOX_PUBLISH_FAILURES = Counter(
    "desk_outbox_publish_failures_total", "Outbox batches that failed to publish"
)
OUTBOX_BACKLOG = Gauge(
    "desk_outbox_backlog_messages", "Outbox rows written but not yet confirmed by the broker"
)
OUTBOX_OLDEST_AGE = Gauge(
    "desk_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet published (0 when the outbox is empty)",
)
PARKED_REPLAYS = Counter(
    "desk_parked_replays_total",
    "Parked messages taken out when the fact they awaited arrived, by queue and outcome: "
    "handled, parked (again, for another fact), handed_back (failed: back to its queue)",
    ["queue", "outcome"],
)
PARKED_MESSAGES = Gauge(
    "desk_parked_messages", "Messages waiting, parked, for a fact that has not arrived yet"
)
PARKED_OLDEST_AGE = Gauge(
    "desk_parked_oldest_age_seconds",
    "How long the longest-parked message has waited (0 when none waits)",
)
QUERIES_ANSWERED = Counter(
    "desk_queries_answered_total",
    "Request/reply questions answered, by query and outcome",
    ["query", "outcome"],
)

# --- consumers and readiness (wired in desk_runtime.health) -----------------------------

CONSUMERS_MISSING = Gauge(
    "desk_consumers_missing",
    "Queues of this service that have no consumer attached at the last check",
)
CONSUMER_REATTACHMENTS = Counter(
    "desk_consumer_reattachments_total",
    "Times the watchdog restarted the subscribers because consumers did not come back",
)
READY = Gauge("desk_ready", "1 when the last readiness check passed, else 0")

# --- broker state as the gateway samples it (desk_runtime.deadletters) ------------------

QUEUE_MESSAGES = Gauge(
    "desk_queue_messages", "Messages waiting in a queue (dead-letter queues included)", ["queue"]
)
QUEUE_CONSUMERS = Gauge("desk_queue_consumers", "Consumers attached to a queue", ["queue"])

# --- gateway HTTP (desk_runtime.health.HttpMetricsMiddleware) ---------------------------

HTTP_REQUESTS = Counter(
    "desk_http_requests_total",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "desk_http_request_duration_seconds",
    "Time to answer one HTTP request, by method and route template",
    ["method", "route"],
    buckets=_HTTP_BUCKETS,
)
RPC_REQUEST_SECONDS = Histogram(
    "desk_rpc_request_duration_seconds",
    "Time the gateway waited for another service's answer, by query and outcome",
    ["query", "outcome"],
    buckets=_HTTP_BUCKETS,
)
