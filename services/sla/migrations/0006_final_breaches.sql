-- Breaches recorded at or before this instant stand, whatever later facts say: a
-- reclassification made them final (a new priority or category is no late fact about
-- the past, and lowering one must not erase a breach at the next recomputation).
ALTER TABLE incident_clocks ADD COLUMN breaches_final_at timestamptz;
-- Incidents reclassified before: their breaches were final from the last reclassification.
UPDATE incident_clocks c SET breaches_final_at = (
    SELECT max(m.computed_at) FROM computations m
    WHERE m.incident_id = c.incident_id AND m.reason = 'reclassified');
