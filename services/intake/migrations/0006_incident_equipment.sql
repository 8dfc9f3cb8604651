-- The device an incident names, with its coverage on the registration date as it was
-- then (SPEC §13); the device's incidents are found by its id.
ALTER TABLE incidents ADD COLUMN equipment jsonb;
CREATE INDEX incidents_by_equipment ON incidents (((equipment ->> 'equipment_id')::uuid))
    WHERE equipment IS NOT NULL;
