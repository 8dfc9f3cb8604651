-- Named incident-list filters, each user's own. The filter is kept as the list page's
-- query string, normalized: known filter keys only, in a fixed order, never a page.
CREATE TABLE saved_filters (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    query text NOT NULL CHECK (query <> '' AND char_length(query) <= 4000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saved_filters_user_name_unique ON saved_filters (user_id, lower(name));
