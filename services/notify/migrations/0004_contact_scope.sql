-- A client's scope (own or organization): the organization's equipment notices go to
-- the clients who see its whole work (SPEC §13).
ALTER TABLE contacts ADD COLUMN scope text;
CREATE INDEX contacts_by_organization ON contacts (organization_id) WHERE role = 'client';
