-- Equipment of client organizations (SPEC §13). A serial number is unique per
-- manufacturer (serials are kept upper-case; manufacturers compared case-blind).
CREATE TABLE equipment (
    equipment_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    model text NOT NULL,
    manufacturer text NOT NULL,
    serial_number text NOT NULL,
    location text NOT NULL DEFAULT '',
    installed_on date,
    warranty_until date,
    service_contract_until date,
    maintenance_interval_months integer CHECK (maintenance_interval_months > 0),
    last_maintenance_on date,
    notes text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE UNIQUE INDEX equipment_serial_per_manufacturer
    ON equipment (lower(manufacturer), serial_number);
CREATE INDEX equipment_by_organization ON equipment (organization_id, created_at DESC);

-- An organization's lead times; an organization without a row has the defaults.
CREATE TABLE lead_times (
    organization_id uuid PRIMARY KEY,
    warranty_days integer NOT NULL,
    contract_days integer NOT NULL,
    maintenance_days integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Each notice sent about a device: once per kind and due date.
CREATE TABLE equipment_notices (
    notice_id uuid PRIMARY KEY,
    equipment_id uuid NOT NULL REFERENCES equipment (equipment_id),
    kind text NOT NULL,
    due_on date NOT NULL,
    days_left integer NOT NULL,
    noticed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (equipment_id, kind, due_on)
);

-- The report of each import, so a retried import answers it again.
CREATE TABLE equipment_imports (
    import_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    report jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
