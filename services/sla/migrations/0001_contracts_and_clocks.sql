CREATE TABLE calendars (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    time_zone text NOT NULL,
    always_open boolean NOT NULL DEFAULT false,
    -- {"0": [["09:00", "18:00"]], ...}: weekday (0 = Monday) to local intervals.
    weekly_hours jsonb NOT NULL DEFAULT '{}',
    holidays date[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A contract is versioned: an incident keeps the version it was registered under.
CREATE TABLE contracts (
    id uuid NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    calendar_id uuid NOT NULL REFERENCES calendars (id),
    -- [{"category_path": [...], "priority": "high" | null, "response_seconds": n,
    --   "resolution_seconds": n, "reminder_before_seconds": n | null, "reminder_share": x | null}]
    rules jsonb NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

CREATE TABLE organization_contracts (
    organization_id uuid PRIMARY KEY,
    contract_id uuid NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE incident_clocks (
    incident_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    contract_id uuid NOT NULL,
    contract_version integer NOT NULL,
    registered_at timestamptz NOT NULL,
    category_path text[] NOT NULL,
    priority text NOT NULL,
    response_due timestamptz NOT NULL,
    resolution_due timestamptz NOT NULL,
    reminder_at timestamptz,
    paused_seconds double precision NOT NULL DEFAULT 0,
    -- Ordered, language-neutral steps; rendered in the reader's language on demand.
    protocol jsonb NOT NULL,
    computed_at timestamptz NOT NULL
);

-- The product's standard package: 24/7, so every hour counts.
INSERT INTO calendars (id, name, time_zone, always_open)
VALUES ('00000000-0000-4000-8000-000000000001', '24/7 (UTC)', 'UTC', true);

INSERT INTO contracts (id, version, name, calendar_id, rules, is_default)
VALUES (
    '00000000-0000-4000-8000-000000000010', 1, 'Standard',
    '00000000-0000-4000-8000-000000000001',
    '[
      {"category_path": [], "priority": null, "response_seconds": 28800,
       "resolution_seconds": 259200, "reminder_before_seconds": null, "reminder_share": 0.75},
      {"category_path": [], "priority": "critical", "response_seconds": 1800,
       "resolution_seconds": 172800, "reminder_before_seconds": null, "reminder_share": 0.75},
      {"category_path": [], "priority": "high", "response_seconds": 7200,
       "resolution_seconds": 86400, "reminder_before_seconds": null, "reminder_share": 0.75},
      {"category_path": [], "priority": "low", "response_seconds": 86400,
       "resolution_seconds": 432000, "reminder_before_seconds": null, "reminder_share": 0.75}
    ]',
    true
);
