-- The demo items (DESK_DEMO=1) whose commands were sent to the service that owns them
-- (categories to intake, agent profiles to routing): each is sent once, so a restart
-- never overwrites what an admin has changed since.
CREATE TABLE demo_seeded (
    item text PRIMARY KEY,
    seeded_at timestamptz NOT NULL DEFAULT now()
);
