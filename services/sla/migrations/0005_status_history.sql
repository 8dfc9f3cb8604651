-- Every status change as intake announced it. Status changes reach sla in any order
-- (they and the registration travel on different queues; failed batches are retried
-- message by message in parallel), so an incident's status and stops are replayed
-- from this history in the order the changes happened, not the order they arrived.
CREATE TABLE status_changes (
    incident_id uuid NOT NULL REFERENCES incident_clocks (incident_id),
    changed_at timestamptz NOT NULL,
    previous text NOT NULL,
    status text NOT NULL,
    PRIMARY KEY (incident_id, changed_at, previous, status)
);

-- Incidents from before this history: their stored stops stand for it. A stop began
-- with its state; it ended with a return to work (a wait) or a reopen (resolved),
-- unless another stop began at that instant, whose own change ended it. A close keeps
-- the resolved stop open.
INSERT INTO status_changes (incident_id, changed_at, previous, status)
SELECT incident_id, started_at, 'in_progress',
    CASE kind WHEN 'client' THEN 'waiting_on_client' ELSE 'resolved' END
FROM incident_pauses
UNION
SELECT p.incident_id, p.ended_at,
    CASE p.kind WHEN 'client' THEN 'waiting_on_client' ELSE 'resolved' END,
    CASE p.kind WHEN 'client' THEN 'in_progress' ELSE 'reopened' END
FROM incident_pauses p
WHERE p.ended_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM incident_pauses q
    WHERE q.incident_id = p.incident_id AND q.started_at = p.ended_at AND q.id <> p.id)
UNION
SELECT incident_id, closed_at, 'resolved', 'closed'
FROM incident_clocks WHERE closed_at IS NOT NULL
ON CONFLICT DO NOTHING;
