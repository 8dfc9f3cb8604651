-- An incident's status changes apply in the order they were made: a resolution that
-- arrives after the reopen that followed it must not silence the reopened incident.
ALTER TABLE incidents ADD COLUMN status_changed_at timestamptz;

-- Likewise the due times: the latest computation's stand.
ALTER TABLE incidents ADD COLUMN deadlines_computed_at timestamptz;
