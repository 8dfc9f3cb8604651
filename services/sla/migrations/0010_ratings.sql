-- The requester's rating of each incident (SPEC §12, satisfaction): reported per
-- channel, agent, category and package beside the clocks. A rating replaces the last;
-- a reopen takes it away (the resolution it rated no longer holds).
CREATE TABLE incident_ratings (
    incident_id uuid PRIMARY KEY,
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    rated_at timestamptz NOT NULL,
    -- What the heads' board shows of a low one.
    number text NOT NULL,
    organization_id uuid NOT NULL,
    assignee_id uuid
);
CREATE INDEX incident_ratings_low ON incident_ratings (rated_at DESC) WHERE score <= 2;
