"""routing's own metrics on /metrics: backlog, load and assignments (the runtime keeps
the generic ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ROUTING_BACKLOG = Gauge("desk_routing_backlog_incidents", "Incidents waiting for an eligible agent")
ROUTING_AGENT_LOAD = Gauge(
    "desk_routing_agent_load", "Open incidents assigned to an agent", ["agent_id"]
)
ROUTING_AGENT_CAPACITY = Gauge(
    "desk_routing_agent_capacity", "Open incidents an agent may hold at most", ["agent_id"]
)
ROUTING_ASSIGNMENTS = Counter(
    "desk_routing_assignments_total",
    "Assignments made, by reason (auto, manual, escalation, backlog, handover)",
    ["reason"],
)
