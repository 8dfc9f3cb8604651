-- Each incident's number and title, from its registration, so the backlog people read
-- names what waits (incidents registered before this table show without them).
CREATE TABLE incident_names (
    incident_id uuid PRIMARY KEY,
    number text NOT NULL,
    title text NOT NULL
);
