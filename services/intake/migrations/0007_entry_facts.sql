-- What a system line says, as facts (the line's kind and its values), so each reader sees
-- it in their own language; `text` keeps the English wording for search and mail.
ALTER TABLE entries ADD COLUMN facts jsonb;
