CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE,
    account_manager_id uuid,
    contract_id uuid,
    -- CIDRs its clients' sessions must come from; empty = anywhere.
    ip_allow_list cidr[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    username text NOT NULL,
    password_hash text NOT NULL,
    display_name text NOT NULL,
    email text,
    phone text,
    locale text NOT NULL DEFAULT 'en',
    role text NOT NULL,
    organization_id uuid REFERENCES organizations (id),
    scope text,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_belong_to_an_organization
        CHECK (role <> 'client' OR (organization_id IS NOT NULL AND scope IS NOT NULL))
);
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));

-- Bearer tokens and web sessions; only a hash of the secret is stored.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
