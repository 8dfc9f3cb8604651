-- The next-reply clock: the oldest unanswered public client entry → the next public staff
-- entry. The open one lives beside the other clocks (its breach timer is armed like
-- theirs); each answered one is kept as it was measured, never recomputed.
ALTER TABLE incident_clocks
    ADD COLUMN next_reply_started_at timestamptz,
    ADD COLUMN next_reply_due timestamptz,
    ADD COLUMN next_reply_target_seconds double precision,
    ADD COLUMN next_reply_breached_at timestamptz;

CREATE TABLE reply_clocks (
    incident_id uuid NOT NULL,
    started_at timestamptz NOT NULL,
    target_seconds double precision NOT NULL,
    due_at timestamptz NOT NULL,
    answered_at timestamptz NOT NULL,
    business_seconds double precision NOT NULL,
    breached_at timestamptz,
    PRIMARY KEY (incident_id, started_at)
);
