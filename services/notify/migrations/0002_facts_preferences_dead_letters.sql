-- What notify must know to decide who hears of an event: the incident's category,
-- priority, status, assignee and due times; organizations' account managers; the
-- category tree's escalation contacts; agents' group heads.
ALTER TABLE incidents
    ADD COLUMN category_id uuid,
    ADD COLUMN category_path text[] NOT NULL DEFAULT '{}',
    ADD COLUMN priority text NOT NULL DEFAULT 'normal',
    ADD COLUMN status text NOT NULL DEFAULT 'new',
    ADD COLUMN assignee_id uuid,
    ADD COLUMN response_due timestamptz,
    ADD COLUMN resolution_due timestamptz;

CREATE TABLE organizations (
    organization_id uuid PRIMARY KEY,
    name text NOT NULL,
    account_manager_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    category_id uuid PRIMARY KEY,
    path text[] NOT NULL,
    name text NOT NULL,
    escalation_contact_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    agent_id uuid PRIMARY KEY,
    group_head_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A user's own choices; a (kind, channel) without a row follows the role's default.
CREATE TABLE notification_preferences (
    user_id uuid NOT NULL,
    event_kind text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email', 'sms')),
    enabled boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, event_kind, channel)
);

-- Which sender holds a claimed delivery, so a stopping sender hands its claims back at
-- once instead of leaving them to the lease; why a delivery was queued; when it failed.
ALTER TABLE deliveries
    ADD COLUMN lease_token uuid,
    ADD COLUMN reason text,
    ADD COLUMN failed_at timestamptz;
CREATE INDEX deliveries_incident ON deliveries (incident_id, created_at DESC);
CREATE INDEX deliveries_created ON deliveries (created_at DESC);

ALTER TABLE delivery_attempts ADD COLUMN attempt integer NOT NULL DEFAULT 0;
CREATE INDEX delivery_attempts_of ON delivery_attempts (delivery_id, id);

-- A delivery that exhausted its attempts (or was refused for good) is parked here for
-- operators; a replay sends it again and stamps replayed_at.
CREATE TABLE dead_letters (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES deliveries (id),
    reason text NOT NULL,
    attempts integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    replayed_by uuid
);
CREATE INDEX dead_letters_open ON dead_letters (created_at) WHERE replayed_at IS NULL;
