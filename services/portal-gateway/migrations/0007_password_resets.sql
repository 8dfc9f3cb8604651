-- Password reset links: only the SHA-256 of each token is kept; a link works once,
-- until it expires, and a newer link (or a new password) voids the older ones.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);
