-- What a client sees as "updated" is the incident's last public activity: an internal
-- note or an assignment (internal) must not move it up the client's list.
ALTER TABLE incidents ADD COLUMN public_updated_at timestamptz;
UPDATE incidents i SET public_updated_at = coalesce(
    (SELECT max(e.created_at) FROM entries e
     WHERE e.incident_id = i.id AND e.visibility = 'public'),
    i.created_at);
ALTER TABLE incidents ALTER COLUMN public_updated_at SET NOT NULL,
    ALTER COLUMN public_updated_at SET DEFAULT now();
CREATE INDEX incidents_public_updated ON incidents (public_updated_at DESC, id DESC);

-- sla's due times apply in the order it computed them, not the order they arrive.
ALTER TABLE incidents ADD COLUMN deadlines_computed_at timestamptz;

-- What a request said, kept with what it created: a retry (same request id) must say the
-- same, or it is refused rather than answered with something else.
ALTER TABLE incidents ADD COLUMN request_digest text;
ALTER TABLE entries ADD COLUMN request_digest text;
