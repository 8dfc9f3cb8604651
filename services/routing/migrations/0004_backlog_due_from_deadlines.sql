-- The backlog reads each incident's resolution due from incident_deadlines when it is
-- ordered: a copy in the backlog row could miss a DeadlinesSet that arrived while the
-- incident was being backlogged (both transactions commit, the copy stays empty).
-- incident_deadlines already holds every announcement, so nothing needs moving.
DROP INDEX backlog_order;
ALTER TABLE backlog DROP COLUMN resolution_due;
CREATE INDEX backlog_order ON backlog (priority_rank, registered_at);
