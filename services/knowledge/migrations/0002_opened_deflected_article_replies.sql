-- A suggestion opened by its reader (once), a client's "it solved my problem" recorded
-- by the page they left without filing, and the article a public staff reply linked.
ALTER TABLE suggestions ADD COLUMN opened_at timestamptz, ADD COLUMN deflected_at timestamptz;
CREATE INDEX suggestions_deflected ON suggestions (shown_at) WHERE deflected_at IS NOT NULL;

ALTER TABLE incident_activity ADD COLUMN article_id uuid;
