-- Messages that arrived before a fact they build on (an incident's registration, a
-- user's contact point), keyed by that fact. A parked message is handled (its inbox row
-- was written when it was parked) in the transaction that records the fact it awaits,
-- so it is neither retried into the dead letters nor dropped, however long the lag.
CREATE TABLE parked_messages (
    id bigserial PRIMARY KEY,
    -- The message's type (its routing key): one handler per type in a service.
    message_type text NOT NULL,
    message_id uuid NOT NULL,
    -- The fact awaited, `<kind>:<key>`, e.g. `incident:0b6f…`.
    awaits text NOT NULL,
    envelope jsonb NOT NULL,
    reason text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_type, message_id)
);
CREATE INDEX parked_messages_awaits ON parked_messages (awaits);
