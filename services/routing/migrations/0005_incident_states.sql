-- The latest open/closed state of each incident, from intake's status changes. One
-- incident's changes can arrive out of order (a failed batch is retried message by
-- message, side by side; two instances consume one queue), so a change applies only if
-- no later one has been applied. A resolved incident whose registration arrives after
-- the resolution is then never placed.
CREATE TABLE incident_states (
    incident_id uuid PRIMARY KEY,
    is_open boolean NOT NULL,
    changed_at timestamptz NOT NULL
);
