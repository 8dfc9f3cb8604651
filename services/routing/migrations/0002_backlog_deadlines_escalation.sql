-- Resolution due times learnt from DeadlinesSet, kept apart from the backlog because
-- they may arrive before the incident does and outlive its stay in the backlog (an
-- escalation may put it back). Only the newest computation counts.
CREATE TABLE incident_deadlines (
    incident_id uuid PRIMARY KEY,
    resolution_due timestamptz NOT NULL,
    computed_at timestamptz NOT NULL
);

-- The assignee an escalation could not move the incident away from: never chosen again.
ALTER TABLE backlog ADD COLUMN escalated_from uuid;

-- Assignments made by staff rather than by the least-loaded choice.
ALTER TABLE assignments ADD COLUMN manual boolean NOT NULL DEFAULT false;
