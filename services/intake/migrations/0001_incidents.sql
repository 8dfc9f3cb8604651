CREATE TABLE categories (
    id uuid PRIMARY KEY,
    parent_id uuid REFERENCES categories (id),
    code text NOT NULL,
    name text NOT NULL,
    colour text NOT NULL,
    escalation_contact_id uuid,
    -- Codes from the root, e.g. {fault,software,crash}; events carry it so other
    -- services match by subtree without asking.
    path text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_depth CHECK (cardinality(path) BETWEEN 1 AND 3)
);
CREATE UNIQUE INDEX categories_path_unique ON categories (path);

CREATE SEQUENCE incident_number_seq;

CREATE TABLE incidents (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    -- The gateway's request id: a retried create returns the incident made the first time.
    request_id uuid NOT NULL UNIQUE,
    title text NOT NULL,
    description text NOT NULL,
    category_id uuid NOT NULL REFERENCES categories (id),
    category_path text[] NOT NULL,
    priority text NOT NULL,
    channel text NOT NULL,
    status text NOT NULL,
    requester_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    assignee_id uuid,
    response_due timestamptz,
    resolution_due timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    resolved_at timestamptz,
    closed_at timestamptz
);
CREATE INDEX incidents_organization ON incidents (organization_id, created_at DESC);
CREATE INDEX incidents_requester ON incidents (requester_id, created_at DESC);
CREATE INDEX incidents_assignee ON incidents (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX incidents_status ON incidents (status);

CREATE TABLE entries (
    id uuid PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    -- Insertion order, stable even when two entries share a timestamp.
    seq bigserial NOT NULL,
    kind text NOT NULL,
    visibility text NOT NULL,
    author_id uuid,
    text text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX entries_incident ON entries (incident_id, seq);
