-- The knowledge base: articles (current state, texts per language, bindings, versions),
-- the suggestions shown and their feedback, and the facts kept from other services'
-- events (the category tree, incidents and what happened to them).

CREATE TABLE categories (
    category_id uuid PRIMARY KEY,
    parent_id uuid,
    path text[] NOT NULL,
    name text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE articles (
    article_id uuid PRIMARY KEY,
    version integer NOT NULL CHECK (version >= 1),
    visibility text NOT NULL CHECK (visibility IN ('public', 'internal')),
    status text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    keywords text[] NOT NULL DEFAULT '{}',
    -- The languages it has a text in (a suggestion filters by them before any text).
    locales text[] NOT NULL DEFAULT '{}',
    author_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- How often it was shown and how often it helped, kept as suggestions are shown and
    -- answered: the ranking reads them on every suggestion. (No index covers them, so
    -- these updates stay heap-only.)
    shown bigint NOT NULL DEFAULT 0,
    rated bigint NOT NULL DEFAULT 0,
    helped bigint NOT NULL DEFAULT 0
);
CREATE INDEX articles_updated ON articles (updated_at DESC, article_id);

-- One row per language of an article. `search` weighs the title over the keywords over
-- the body, stemmed with the language's own configuration.
CREATE TABLE article_texts (
    article_id uuid NOT NULL REFERENCES articles ON DELETE CASCADE,
    locale text NOT NULL CHECK (locale IN ('ru', 'en')),
    title text NOT NULL,
    body text NOT NULL,
    body_html text NOT NULL,
    excerpt text NOT NULL,
    keywords text NOT NULL DEFAULT '',
    search tsvector GENERATED ALWAYS AS (
        CASE WHEN locale = 'ru' THEN
            setweight(to_tsvector('russian'::regconfig, title), 'A')
            || setweight(to_tsvector('russian'::regconfig, keywords), 'B')
            || setweight(to_tsvector('russian'::regconfig, body), 'D')
        ELSE
            setweight(to_tsvector('english'::regconfig, title), 'A')
            || setweight(to_tsvector('english'::regconfig, keywords), 'B')
            || setweight(to_tsvector('english'::regconfig, body), 'D')
        END
    ) STORED,
    PRIMARY KEY (article_id, locale)
);
CREATE INDEX article_texts_search ON article_texts USING gin (search);

CREATE TABLE article_categories (
    article_id uuid NOT NULL REFERENCES articles ON DELETE CASCADE,
    category_id uuid NOT NULL,
    PRIMARY KEY (article_id, category_id)
);
CREATE INDEX article_categories_category ON article_categories (category_id, article_id);

-- Every version as it was written; the current one is also in `articles`.
CREATE TABLE article_versions (
    article_id uuid NOT NULL REFERENCES articles ON DELETE CASCADE,
    version integer NOT NULL,
    author_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    snapshot jsonb NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE suggestions (
    suggestion_id uuid PRIMARY KEY,
    article_id uuid NOT NULL REFERENCES articles ON DELETE CASCADE,
    version integer NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    organization_id uuid,
    incident_id uuid,
    category_id uuid,
    query text,
    rank integer NOT NULL,
    locale text NOT NULL,
    shown_at timestamptz NOT NULL DEFAULT now(),
    helped boolean,
    answered_at timestamptz
);
CREATE INDEX suggestions_article ON suggestions (article_id, shown_at);
CREATE INDEX suggestions_shown ON suggestions (shown_at);
CREATE INDEX suggestions_helped ON suggestions (answered_at) WHERE helped;

-- Incidents as intake announced them: the category counts requests, the requester
-- tells a deflection from a request filed after all.
CREATE TABLE incidents (
    incident_id uuid PRIMARY KEY,
    category_id uuid NOT NULL,
    requester_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    title text NOT NULL,
    channel text NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE INDEX incidents_registered ON incidents (registered_at);
CREATE INDEX incidents_requester ON incidents (requester_id, registered_at);

-- What first-contact resolution is computed from: public replies by staff and by the
-- client, resolutions and reopens, in the order they happened. Kept whether or not the
-- registration has arrived yet (the report reads only registered incidents).
CREATE TABLE incident_activity (
    incident_id uuid NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('staff_reply', 'client_reply', 'resolved', 'reopened')),
    actor_id uuid
);
CREATE INDEX incident_activity_incident ON incident_activity (incident_id, at);
