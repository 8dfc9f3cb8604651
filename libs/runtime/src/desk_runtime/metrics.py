"""Prometheus metrics shared by every service (each process has its own registry)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES_CONSUMED = Counter(
    "desk_messages_consumed_total",
    "Messages handled, by queue and outcome",
    ["queue", "outcome"],
)
MESSAGE_HANDLING_SECONDS = Histogram(
    "desk_message_handling_seconds",
    "Time spent handling one message",
    ["queue"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INBOX_DUPLICATES = Counter(
    "desk_inbox_duplicates_total", "Redelivered messages recognised and skipped", ["queue"]
)
OUTBOX_PUBLISHED = Counter("desk_outbox_published_total", "Outbox messages confirmed by the broker")
OUTBOX_PUBLISH_FAILURES = Counter(
    "desk_outbox_publish_failures_total", "Outbox batches that failed to publish"
)
QUERIES_ANSWERED = Counter(
    "desk_queries_answered_total",
    "Request/reply questions answered, by query and outcome",
    ["query", "outcome"],
)
