-- An incident's assignment and its registration reach sla on different queues, and the
-- assignment may come first. It waits here for the registration, which takes it over;
-- the key makes the two meet even when they commit at the same moment (whichever
-- inserts second waits for the first and then sees it).
CREATE TABLE early_assignments (
    incident_id uuid PRIMARY KEY,
    assignee_id uuid,
    assigned_at timestamptz,
    registered boolean NOT NULL DEFAULT false
);
