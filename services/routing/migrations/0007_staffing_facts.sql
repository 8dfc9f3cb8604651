-- Staffing facts (SPEC §15): what arrived when and by which channel, how long each
-- incident was worked, when it was first answered, and who was online when.

CREATE TABLE staffing_incidents (
    incident_id uuid PRIMARY KEY,
    channel text NOT NULL,
    organization_id uuid NOT NULL,
    number text NOT NULL,
    title text NOT NULL,
    registered_at timestamptz NOT NULL,
    -- The contract's response target for it, as due time (latest computation).
    response_due timestamptz,
    first_assigned_at timestamptz,
    first_response_at timestamptz,
    -- Since when the client has been waiting for a public answer (NULL: not waiting).
    client_waiting_since timestamptz,
    -- Time spent waiting on the client does not count as worked.
    paused_since timestamptz,
    paused_seconds double precision NOT NULL DEFAULT 0,
    resolved_at timestamptz,
    worked_seconds double precision
);
CREATE INDEX staffing_incidents_registered ON staffing_incidents (registered_at);
CREATE INDEX staffing_incidents_client_waiting ON staffing_incidents (client_waiting_since)
    WHERE client_waiting_since IS NOT NULL;

-- One row per stretch an agent was online; the open one has no end.
CREATE TABLE presence_intervals (
    agent_id uuid NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (agent_id, started_at)
);
CREATE UNIQUE INDEX presence_intervals_open ON presence_intervals (agent_id)
    WHERE ended_at IS NULL;
CREATE INDEX presence_intervals_end ON presence_intervals (ended_at);

-- Every path that changes an agent's presence or activity (profile upserts, changes
-- from the load board, deactivation) goes through this table, so the intervals are kept
-- here, in the same transaction as the change.
CREATE FUNCTION record_presence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    online_now boolean := NEW.presence = 'online' AND NEW.active;
    online_before boolean := TG_OP = 'UPDATE' AND OLD.presence = 'online' AND OLD.active;
BEGIN
    IF online_now AND NOT online_before THEN
        INSERT INTO presence_intervals (agent_id, started_at)
        VALUES (NEW.agent_id, clock_timestamp())
        ON CONFLICT DO NOTHING;
    ELSIF online_before AND NOT online_now THEN
        UPDATE presence_intervals SET ended_at = clock_timestamp()
        WHERE agent_id = NEW.agent_id AND ended_at IS NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER agents_presence_intervals
    AFTER INSERT OR UPDATE OF presence, active ON agents
    FOR EACH ROW EXECUTE FUNCTION record_presence();

-- Agents already online when this was installed are online from now on.
INSERT INTO presence_intervals (agent_id, started_at)
SELECT agent_id, now() FROM agents WHERE presence = 'online' AND active;

-- The first assignment of an incident starts its handle time.
CREATE FUNCTION record_first_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE staffing_incidents SET first_assigned_at = NEW.assigned_at
    WHERE incident_id = NEW.incident_id AND first_assigned_at IS NULL;
    RETURN NEW;
END $$;

CREATE TRIGGER assignments_first_assignment
    AFTER INSERT OR UPDATE OF assigned_at ON assignments
    FOR EACH ROW EXECUTE FUNCTION record_first_assignment();
