-- Contracts gain an escalation ladder and channel quotas (per version, like the targets).
ALTER TABLE contracts
    ADD COLUMN escalation jsonb NOT NULL DEFAULT '[
      {"level": 1, "after_seconds": null, "after_business_days": 1, "notify": "group_head",
       "reassign": true, "priorities": []},
      {"level": 2, "after_seconds": null, "after_business_days": 2,
       "notify": "department_head", "reassign": false, "priorities": []},
      {"level": 3, "after_seconds": null, "after_business_days": 1,
       "notify": "escalation_contact", "reassign": false, "priorities": ["critical"]}
    ]',
    ADD COLUMN quotas jsonb NOT NULL DEFAULT '[]';

CREATE INDEX contracts_latest ON contracts (id, version DESC);

-- The state of each incident's clocks. The calendar is copied at registration so a
-- later edit of the calendar never rewrites an incident's history.
ALTER TABLE incident_clocks
    ADD COLUMN number text,
    ADD COLUMN category_id uuid,
    ADD COLUMN status text NOT NULL DEFAULT 'new',
    ADD COLUMN assignee_id uuid,
    ADD COLUMN calendar_name text NOT NULL DEFAULT '',
    ADD COLUMN calendar jsonb,
    ADD COLUMN response_reminder_at timestamptz,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN response_breached_at timestamptz,
    ADD COLUMN response_business_seconds double precision,
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN resolution_breached_at timestamptz,
    ADD COLUMN resolution_business_seconds double precision,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN reopen_count integer NOT NULL DEFAULT 0,
    ADD COLUMN client_delay_seconds double precision NOT NULL DEFAULT 0;

CREATE INDEX incident_clocks_registered ON incident_clocks (registered_at);

-- Stopped clocks: waits on the client ('client') and time spent resolved ('resolved').
CREATE TABLE incident_pauses (
    id bigserial PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incident_clocks (incident_id),
    kind text NOT NULL CHECK (kind IN ('client', 'resolved')),
    started_at timestamptz NOT NULL,
    ended_at timestamptz
);

CREATE INDEX incident_pauses_incident ON incident_pauses (incident_id, started_at);
CREATE UNIQUE INDEX incident_pauses_one_open ON incident_pauses (incident_id)
    WHERE ended_at IS NULL;

-- Every computation, in order: why it ran and its language-neutral steps.
CREATE TABLE computations (
    id bigserial PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incident_clocks (incident_id),
    reason text NOT NULL,
    computed_at timestamptz NOT NULL,
    steps jsonb NOT NULL
);

CREATE INDEX computations_incident ON computations (incident_id, id);

-- Durable timers: one row per (incident, kind). The scheduler claims due armed rows with
-- FOR UPDATE SKIP LOCKED and marks them fired in the transaction that writes the event
-- to the outbox, so a timer fires once however many instances run.
CREATE TABLE timers (
    incident_id uuid NOT NULL,
    kind text NOT NULL,
    due_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'fired', 'cancelled')),
    -- What the event needs beyond the kind (the clock's due time, the ladder step).
    detail jsonb NOT NULL DEFAULT '{}',
    armed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    fired_at timestamptz,
    PRIMARY KEY (incident_id, kind)
);

CREATE INDEX timers_due ON timers (due_at) WHERE state = 'armed';
