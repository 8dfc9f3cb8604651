-- Web sessions carry a synchronizer CSRF token; bearer tokens have none.
ALTER TABLE sessions ADD COLUMN csrf_token text;

-- Failed logins, per account and per address, for throttling (a sliding window).
CREATE TABLE login_failures (
    subject text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_subject ON login_failures (subject, failed_at DESC);
