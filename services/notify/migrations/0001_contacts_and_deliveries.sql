-- Contact points, kept from the gateway's user events.
CREATE TABLE contacts (
    user_id uuid PRIMARY KEY,
    username text NOT NULL,
    display_name text NOT NULL,
    email text,
    phone text,
    locale text NOT NULL,
    role text NOT NULL,
    organization_id uuid,
    active boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- What notify needs to know of an incident to write about it.
CREATE TABLE incidents (
    incident_id uuid PRIMARY KEY,
    number text NOT NULL,
    title text NOT NULL,
    requester_id uuid NOT NULL,
    organization_id uuid NOT NULL
);

-- One row per (event, recipient, channel): the unique key is written before anything is
-- sent, so a redelivered event or a restart never sends a second message.
CREATE TABLE deliveries (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL,
    event_kind text NOT NULL,
    incident_id uuid,
    recipient_id uuid NOT NULL,
    channel text NOT NULL,
    address text NOT NULL,
    locale text NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text,
    status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (event_id, recipient_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');

CREATE TABLE delivery_attempts (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES deliveries (id),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL,
    answer text
);

CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('deliveries', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER deliveries_wake_sender AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_notify();
