-- The knowledge base article a public staff reply links, and the version it linked.
ALTER TABLE entries ADD COLUMN article_id uuid, ADD COLUMN article_version integer;
