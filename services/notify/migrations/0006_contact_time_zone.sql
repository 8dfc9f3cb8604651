-- The zone a person chose to read times in (UserUpserted.time_zone); NULL: the desk's.
ALTER TABLE contacts ADD COLUMN time_zone text;
