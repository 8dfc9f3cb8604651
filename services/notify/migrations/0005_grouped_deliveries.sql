-- A burst of changes on one incident for one recipient and channel makes one message:
-- the delivery takes changes until the sender first claims it (`gathering_until`, the
-- latest it waits, is cleared by the claim), and each change is a row here under it.
-- The key (event, recipient, channel) keeps exactly once for an event that joined a
-- delivery another event opened: a redelivered event adds nothing.
ALTER TABLE deliveries ADD COLUMN gathering_until timestamptz;
CREATE INDEX deliveries_gathering ON deliveries (incident_id, recipient_id, channel, event_kind)
    WHERE gathering_until IS NOT NULL;

CREATE TABLE delivery_changes (
    event_id uuid NOT NULL,
    recipient_id uuid NOT NULL,
    channel text NOT NULL,
    delivery_id uuid NOT NULL REFERENCES deliveries (id),
    position integer NOT NULL,
    change jsonb NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, recipient_id, channel),
    UNIQUE (delivery_id, position)
);
