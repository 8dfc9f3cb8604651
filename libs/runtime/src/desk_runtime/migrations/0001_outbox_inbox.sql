-- Transactional outbox: rows written in the same transaction as the state change,
-- published by the relay after commit and deleted once the broker confirmed them.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    message_id uuid NOT NULL UNIQUE,
    correlation_id uuid NOT NULL,
    routing_key text NOT NULL,
    -- Commands and events go to the events exchange; replays may name a queue directly.
    exchange text NOT NULL DEFAULT 'events',
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    last_error text
);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_wake_relay AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Inbox: one row per (consumer, message) processed, written with the change it caused,
-- so a redelivered message is recognised and changes nothing.
CREATE TABLE inbox (
    consumer text NOT NULL,
    message_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
