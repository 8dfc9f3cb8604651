-- The zone a user reads times in (an IANA name); NULL: their organization's calendar
-- zone, else the desk's (DESK_TIME_ZONE).
ALTER TABLE users ADD COLUMN time_zone text;
