-- Mail from an unknown address of a domain an organization owns files as a new contact
-- of that organization (SPEC §14). A domain belongs to one organization at most: the
-- key says so, whichever admin saves first.
CREATE TABLE organization_mail_domains (
    -- Lower-case, in its ASCII (IDNA) form: "пример.рф" is kept as "xn--e1afmkfd.xn--p1ai".
    domain text PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_mail_domains_organization ON organization_mail_domains (organization_id);

-- The organization's language: a contact filed from its mail gets it when the mail
-- names none (Content-Language, Accept-Language).
ALTER TABLE organizations ADD COLUMN locale text NOT NULL DEFAULT 'en';
