-- New incidents wait here for a moment until the assigner places them. It places them in
-- batches: the agents' rows are locked once per batch instead of once per incident, so
-- under a burst the lock is not handed from one waiting transaction to the next.
CREATE TABLE arrivals (
    incident_id uuid PRIMARY KEY,
    category_path text[] NOT NULL,
    priority text NOT NULL,
    registered_at timestamptz NOT NULL,
    arrived_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX arrivals_order ON arrivals (arrived_at);
