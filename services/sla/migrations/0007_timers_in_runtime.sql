-- The timers moved to the runtime's durable_timers (desk_runtime.timers, created by the
-- runtime's migrations, which run before these): every timer keeps its state, due time,
-- detail and history, keyed by its incident, and the old table goes.
INSERT INTO durable_timers (key, kind, due_at, state, payload, armed_at, fired_at)
SELECT incident_id::text, kind, due_at, state, detail, armed_at, fired_at FROM timers;

DROP TABLE timers;
