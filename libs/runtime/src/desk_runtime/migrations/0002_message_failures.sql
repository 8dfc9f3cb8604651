-- The last error a consumer hit per message, so an operator looking at a dead letter sees
-- why it died (a negative acknowledgement cannot carry the error to the broker).
CREATE TABLE message_failures (
    consumer text NOT NULL,
    message_id uuid NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    last_error text NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX message_failures_recent ON message_failures (last_failed_at);
