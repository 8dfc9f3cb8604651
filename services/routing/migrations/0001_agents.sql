CREATE TABLE agents (
    agent_id uuid PRIMARY KEY,
    -- Category subtrees as code paths from the root: [["fault"], ["order", "development"]];
    -- [[]] covers every category.
    skills jsonb NOT NULL DEFAULT '[[]]',
    capacity integer NOT NULL CHECK (capacity >= 0),
    presence text NOT NULL,
    group_head_id uuid,
    -- Open incidents assigned now; changed only under this row's lock.
    load integer NOT NULL DEFAULT 0 CHECK (load >= 0),
    last_assigned_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assignments (
    incident_id uuid PRIMARY KEY,
    agent_id uuid NOT NULL REFERENCES agents (agent_id),
    category_path text[] NOT NULL,
    priority text NOT NULL,
    registered_at timestamptz NOT NULL,
    assigned_at timestamptz NOT NULL,
    is_open boolean NOT NULL DEFAULT true,
    reason text NOT NULL
);
CREATE INDEX assignments_open_by_agent ON assignments (agent_id) WHERE is_open;

-- Incidents no eligible agent could take yet.
CREATE TABLE backlog (
    incident_id uuid PRIMARY KEY,
    category_path text[] NOT NULL,
    priority text NOT NULL,
    priority_rank integer NOT NULL,
    resolution_due timestamptz,
    registered_at timestamptz NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backlog_order ON backlog (priority_rank, resolution_due NULLS LAST, registered_at);
