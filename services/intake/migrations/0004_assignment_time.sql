-- When the assignment intake records was decided (routing's time). It orders assignment
-- announcements that arrive out of order, and lets routing's reconciliation tell an
-- assignment intake has not heard of yet from one routing has lost.
ALTER TABLE incidents ADD COLUMN assigned_at timestamptz;

-- Reconciliation pages through the open incidents in id order.
CREATE INDEX incidents_open_by_id ON incidents (id) WHERE status NOT IN ('resolved', 'closed');
