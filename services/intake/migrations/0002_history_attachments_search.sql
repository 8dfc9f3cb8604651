-- Who wrote an entry (clients vs staff) travels with EntryAdded; kept for the history.
ALTER TABLE entries ADD COLUMN author_role text;
-- The gateway's request id for entries: a retried post adds nothing twice.
ALTER TABLE entries ADD COLUMN request_id uuid UNIQUE;

CREATE TABLE attachments (
    id uuid PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    entry_id uuid NOT NULL REFERENCES entries (id),
    filename text NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL,
    declared_type text NOT NULL,
    sniffed_type text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX attachments_entry ON attachments (entry_id);

CREATE TABLE ratings (
    incident_id uuid PRIMARY KEY REFERENCES incidents (id),
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment text NOT NULL,
    rated_by uuid NOT NULL,
    rated_at timestamptz NOT NULL
);

-- Full text in both languages the desk speaks: the Russian and the English stemmer each
-- index every text, so "принтеры" finds "принтер" and "printing" finds "printed".
CREATE FUNCTION desk_tsvector(weight "char", body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('russian', coalesce(body, '')), weight)
        || setweight(to_tsvector('english', coalesce(body, '')), weight)
$$;

CREATE FUNCTION desk_tsquery(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT websearch_to_tsquery('russian', q) || websearch_to_tsquery('english', q)
$$;

-- Two vectors per incident: what a client may search (title, description, public
-- entries) and what staff may search (everything). Filtering at the source means an
-- internal note can never make an incident match for a client. They live beside the
-- incidents, not in them, so lists and counts scan narrow rows.
CREATE TABLE incident_search (
    incident_id uuid PRIMARY KEY REFERENCES incidents (id),
    search_public tsvector NOT NULL,
    search_all tsvector NOT NULL
);

CREATE FUNCTION incidents_search_refresh(target uuid) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO incident_search (incident_id, search_public, search_all)
    SELECT i.id,
        desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
            || coalesce((SELECT desk_tsvector('C', string_agg(e.text, ' ')) FROM entries e
                         WHERE e.incident_id = i.id AND e.kind = 'comment'
                           AND e.visibility = 'public'), ''::tsvector),
        desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
            || coalesce((SELECT desk_tsvector('C', string_agg(e.text, ' ')) FROM entries e
                         WHERE e.incident_id = i.id AND e.kind = 'comment'), ''::tsvector)
    FROM incidents i WHERE i.id = target
    ON CONFLICT (incident_id) DO UPDATE SET
        search_public = EXCLUDED.search_public, search_all = EXCLUDED.search_all
$$;

CREATE FUNCTION incidents_search_on_incident() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_search_refresh(NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION incidents_search_on_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'comment' THEN
        PERFORM incidents_search_refresh(NEW.incident_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_search_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_search_on_incident();
CREATE TRIGGER incidents_search_update AFTER UPDATE OF title, description ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_search_on_incident();
CREATE TRIGGER entries_search_insert AFTER INSERT ON entries
    FOR EACH ROW EXECUTE FUNCTION incidents_search_on_entry();

SELECT incidents_search_refresh(id) FROM incidents;

CREATE INDEX incident_search_public ON incident_search USING gin (search_public);
CREATE INDEX incident_search_all ON incident_search USING gin (search_all);
CREATE INDEX incidents_created ON incidents (created_at DESC, id DESC);
CREATE INDEX incidents_updated ON incidents (updated_at DESC, id DESC);
CREATE INDEX incidents_due ON incidents (resolution_due, id);
CREATE INDEX incidents_resolved ON incidents (resolved_at) WHERE status = 'resolved';
