-- A deactivated user, or one who is no longer staff, keeps the profile (the load board
-- and history still name them) but takes no work: offline, and never online again
-- until the user is active staff once more.
ALTER TABLE agents ADD COLUMN active boolean NOT NULL DEFAULT true;
