-- The e-mail channel (SPEC §14). Every mail the listener takes is stored here, raw,
-- before the sending server hears 250; it is then filed (or ignored, or refused) and
-- its outcome recorded on the same row. The key (its Message-ID, or the digest of its
-- bytes when it names none) makes the same mail delivered twice file once.
CREATE TABLE inbound_mail (
    id uuid PRIMARY KEY,
    mail_key text NOT NULL UNIQUE,
    envelope_from text NOT NULL,
    -- The From address (lower-cased), for the per-sender rate limit.
    sender text,
    recipients text[] NOT NULL,
    raw bytea NOT NULL,
    size integer NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- received (to be processed), filed, replied, ignored, refused, quarantined
    status text NOT NULL DEFAULT 'received',
    reason text,
    sender_id uuid,
    incident_id uuid,
    attempts integer NOT NULL DEFAULT 0,
    -- A processor's claim: another takes the row again only after it runs out.
    lease_until timestamptz,
    processed_at timestamptz
);
CREATE INDEX inbound_mail_due ON inbound_mail (received_at) WHERE status = 'received';
CREATE INDEX inbound_mail_sender ON inbound_mail (sender, received_at);

-- Mail that could not be read (or processed for a reason no retry mends): kept for
-- operators to list and re-process; the raw bytes stay on its inbound_mail row.
CREATE TABLE mail_quarantine (
    mail_id uuid PRIMARY KEY REFERENCES inbound_mail (id),
    error text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz
);

-- What a mail from a client of the organization is filed under (admins set it; without
-- it, the first category of the tree).
ALTER TABLE organizations
    ADD COLUMN mail_category_id uuid,
    ADD COLUMN mail_priority text NOT NULL DEFAULT 'normal';
