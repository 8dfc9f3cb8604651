-- Times in mails are in the reader's zone: the one a person chose (UserUpserted), else,
-- for a client of the incident's organization, the zone of the incident's contract
-- calendar (DeadlinesSet), else the desk's (DESK_TIME_ZONE).
ALTER TABLE contacts ADD COLUMN time_zone text;
ALTER TABLE incidents ADD COLUMN time_zone text;
