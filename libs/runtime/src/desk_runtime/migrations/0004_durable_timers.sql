-- Durable timers (desk_runtime.timers): one row per (key, kind); the key says what the
-- timer is about, so a subject's timers are found together. The scheduler claims due armed
-- rows with FOR UPDATE SKIP LOCKED and marks them fired in the transaction that runs their
-- handler and writes its announcements to the outbox, so a timer fires once however many
-- instances run.
CREATE TABLE durable_timers (
    key text NOT NULL,
    kind text NOT NULL,
    due_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'fired', 'cancelled')),
    -- What the handler needs beyond the kind and the key.
    payload jsonb NOT NULL DEFAULT '{}',
    armed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    fired_at timestamptz,
    PRIMARY KEY (key, kind)
);

CREATE INDEX durable_timers_due ON durable_timers (due_at) WHERE state = 'armed';
