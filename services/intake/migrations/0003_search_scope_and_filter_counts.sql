-- A client's search is scoped to its organization (and itself for scope `own`). With
-- the scope columns beside the vectors, one GIN index answers "these words, in this
-- organization" directly, instead of every match in the desk being fetched and then
-- joined against the organization's incidents. btree_gin is a trusted extension: the
-- database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE incident_search
    ADD COLUMN organization_id uuid,
    ADD COLUMN requester_id uuid;
UPDATE incident_search s SET organization_id = i.organization_id, requester_id = i.requester_id
FROM incidents i WHERE i.id = s.incident_id;
ALTER TABLE incident_search
    ALTER COLUMN organization_id SET NOT NULL,
    ALTER COLUMN requester_id SET NOT NULL;

CREATE OR REPLACE FUNCTION incidents_search_refresh(target uuid) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO incident_search
        (incident_id, organization_id, requester_id, search_public, search_all)
    SELECT i.id, i.organization_id, i.requester_id,
        desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
            || coalesce((SELECT desk_tsvector('C', string_agg(e.text, ' ')) FROM entries e
                         WHERE e.incident_id = i.id AND e.kind = 'comment'
                           AND e.visibility = 'public'), ''::tsvector),
        desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
            || coalesce((SELECT desk_tsvector('C', string_agg(e.text, ' ')) FROM entries e
                         WHERE e.incident_id = i.id AND e.kind = 'comment'), ''::tsvector)
    FROM incidents i WHERE i.id = target
    ON CONFLICT (incident_id) DO UPDATE SET
        organization_id = EXCLUDED.organization_id, requester_id = EXCLUDED.requester_id,
        search_public = EXCLUDED.search_public, search_all = EXCLUDED.search_all
$$;

DROP TRIGGER incidents_search_update ON incidents;
CREATE TRIGGER incidents_search_update
    AFTER UPDATE OF title, description, organization_id, requester_id ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_search_on_incident();

DROP INDEX incident_search_public;
CREATE INDEX incident_search_client
    ON incident_search USING gin (organization_id, requester_id, search_public);

-- Status and priority are the staff's everyday filters; with both in one index the
-- count of such a list is an index-only scan instead of a visit to every matching row.
-- The status-only index is the new one's prefix.
CREATE INDEX incidents_status_priority ON incidents (status, priority);
DROP INDEX incidents_status;
