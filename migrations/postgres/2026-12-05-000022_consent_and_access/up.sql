-- Consent and the rights of residents (docs/privacy.md).
--
-- "Me too" addresses need double opt-in: a supporter's address gets nothing but the
-- confirmation link until it is confirmed; an unconfirmed one is purged by retention.
-- Addresses given before this migration are kept as confirmed (they were given for
-- updates, and have been getting them).
ALTER TABLE report_supporters ADD COLUMN confirmed_at timestamptz;
ALTER TABLE report_supporters ADD COLUMN confirm_token_hash text;
UPDATE report_supporters SET confirmed_at = created_at WHERE email IS NOT NULL;
CREATE UNIQUE INDEX report_supporters_confirm_token ON report_supporters (confirm_token_hash);
CREATE INDEX report_supporters_unconfirmed ON report_supporters (created_at)
    WHERE email IS NOT NULL AND confirmed_at IS NULL;

-- Whose link a follow token is, so that erasing through it erases that person only: a
-- supporter (supporter_id), or the reporter of reporter_of (a report merged into
-- report_id); both NULL: the reporter of report_id.
ALTER TABLE follow_tokens ADD COLUMN supporter_id uuid REFERENCES report_supporters (id) ON DELETE CASCADE;
ALTER TABLE follow_tokens ADD COLUMN reporter_of uuid REFERENCES reports (id) ON DELETE CASCADE;
CREATE INDEX follow_tokens_supporter ON follow_tokens (supporter_id) WHERE supporter_id IS NOT NULL;
CREATE INDEX follow_tokens_reporter_of ON follow_tokens (reporter_of) WHERE reporter_of IS NOT NULL;

-- AVG art. 15: a resident asks by email address what meldpunt holds about them; the link
-- sent to that address (only the SHA-256 of its token is stored) shows it and can erase
-- it, until it expires or is used to erase. Expired requests are removed by retention.
CREATE TABLE access_requests (
    token_hash text PRIMARY KEY,
    email text NOT NULL,
    language text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX access_requests_expires ON access_requests (expires_at);

ALTER TABLE retention_runs ADD COLUMN purged_supporter_addresses bigint NOT NULL DEFAULT 0;

-- What an access request looks up: everything held under one address, in any case of
-- letters.
CREATE INDEX reporter_contacts_email ON reporter_contacts (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX report_supporters_email ON report_supporters (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX subscriptions_email ON subscriptions (lower(email)) WHERE email IS NOT NULL;
