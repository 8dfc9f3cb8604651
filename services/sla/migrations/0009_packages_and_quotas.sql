-- Service packages (SPEC §12): a contract version states per support channel (and
-- optionally per category subtree) whether it is included, its hours, its monthly
-- quota and the policy when it is used up:
-- [{"channel": "email", "category_path": [], "included": true, "calendar_id": null,
--   "per_month": 15, "policy": "refuse"}]
ALTER TABLE contracts ADD COLUMN channels jsonb NOT NULL DEFAULT '[]';

-- How many requests count against an organization's terms (channel and category
-- subtree, "scope" = the codes joined by "/") in a contract month (its first local
-- day). Counted under this row's lock, so the last unit goes to exactly one request.
CREATE TABLE quota_counts (
    organization_id uuid NOT NULL,
    channel text NOT NULL,
    scope text NOT NULL,
    month date NOT NULL,
    used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    -- When the account manager was told the quota (policy warn) was used up.
    warned_at timestamptz,
    PRIMARY KEY (organization_id, channel, scope, month)
);

-- Each registered incident's count: once per incident, whatever is redelivered; a
-- reclassification moves it to the terms it now falls under.
CREATE TABLE quota_uses (
    incident_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel text NOT NULL,
    scope text NOT NULL,
    month date NOT NULL,
    registered_at timestamptz NOT NULL,
    over_quota boolean NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);

-- A claim asked before filing. Under the policy refuse a granted claim holds its
-- unit (it counts from the claim); the registration that follows consumes it, else a
-- sweep releases it after a while. Other policies hold nothing: the registration counts.
CREATE TABLE quota_claims (
    request_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel text NOT NULL,
    scope text NOT NULL,
    month date NOT NULL,
    held boolean NOT NULL,
    -- The answer as given, returned again to a repeated claim.
    answer jsonb NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    consumed_by uuid,
    released_at timestamptz
);
CREATE INDEX quota_claims_open ON quota_claims (claimed_at)
    WHERE held AND consumed_by IS NULL AND released_at IS NULL;

-- An incident that came outside its channel's hours (a phone call at night on a 9-18
-- line) has its clocks start at the channel's next opening; NULL = at registration.
ALTER TABLE incident_clocks ADD COLUMN clock_starts_at timestamptz;
