-- An assignment that overtakes its incident's registration now waits like every other
-- early event: parked in the runtime's parked_messages (created by the runtime's
-- migrations, which run before these) and handled in the registration's transaction.
-- The assignments still waiting here move there, as the message they stand for, and
-- the table goes. Two assignments may also arrive swapped: the clock keeps when the
-- assignment it holds was made, and an older one changes nothing.
ALTER TABLE incident_clocks ADD COLUMN assigned_at timestamptz;

WITH waiting AS MATERIALIZED (
    SELECT incident_id, assignee_id, coalesce(assigned_at, now()) AS assigned_at,
        gen_random_uuid() AS message_id
    FROM early_assignments
    WHERE NOT registered AND assignee_id IS NOT NULL
)
INSERT INTO parked_messages (message_type, message_id, awaits, envelope, reason)
SELECT 'incident.assigned', message_id, 'incident:' || incident_id,
    jsonb_build_object(
        'message_id', message_id,
        'correlation_id', message_id,
        'occurred_at', assigned_at,
        'producer', 'sla',
        'type', 'incident.assigned',
        'payload', jsonb_build_object(
            'incident_id', incident_id,
            'agent_id', assignee_id,
            'assigned_at', assigned_at,
            'reason', 'assigned before its registration reached sla'
        )
    ),
    'incident ' || incident_id || ' not registered with sla yet'
FROM waiting;

DROP TABLE early_assignments;
