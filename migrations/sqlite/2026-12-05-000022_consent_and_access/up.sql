-- Consent and the rights of residents (docs/privacy.md).
--
-- "Me too" addresses need double opt-in: a supporter's address gets nothing but the
-- confirmation link until it is confirmed; an unconfirmed one is purged by retention.
-- Addresses given before this migration are kept as confirmed (they were given for
-- updates, and have been getting them).
ALTER TABLE report_supporters ADD COLUMN confirmed_at TEXT;
ALTER TABLE report_supporters ADD COLUMN confirm_token_hash TEXT;
UPDATE report_supporters SET confirmed_at = created_at WHERE email IS NOT NULL;
CREATE UNIQUE INDEX report_supporters_confirm_token ON report_supporters (confirm_token_hash);
CREATE INDEX report_supporters_unconfirmed ON report_supporters (created_at)
    WHERE email IS NOT NULL AND confirmed_at IS NULL;

-- Whose link a follow token is, so that erasing through it erases that person only: a
-- supporter (supporter_id), or the reporter of reporter_of (a report merged into
-- report_id); both NULL: the reporter of report_id. (No foreign keys here, unlike on
-- PostgreSQL: SQLite cannot drop a column that has one. A token whose supporter or report
-- is gone finds nothing, and reads as an unknown link.)
ALTER TABLE follow_tokens ADD COLUMN supporter_id TEXT;
ALTER TABLE follow_tokens ADD COLUMN reporter_of TEXT;
CREATE INDEX follow_tokens_supporter ON follow_tokens (supporter_id) WHERE supporter_id IS NOT NULL;
CREATE INDEX follow_tokens_reporter_of ON follow_tokens (reporter_of) WHERE reporter_of IS NOT NULL;

-- AVG art. 15: a resident asks by email address what meldpunt holds about them; the link
-- sent to that address (only the SHA-256 of its token is stored) shows it and can erase
-- it, until it expires or is used to erase. Expired requests are removed by retention.
CREATE TABLE access_requests (
    token_hash TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX access_requests_expires ON access_requests (expires_at);

ALTER TABLE retention_runs ADD COLUMN purged_supporter_addresses BIGINT NOT NULL DEFAULT 0;

-- What an access request looks up: everything held under one address, in any case of
-- letters.
CREATE INDEX reporter_contacts_email ON reporter_contacts (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX report_supporters_email ON report_supporters (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX subscriptions_email ON subscriptions (lower(email)) WHERE email IS NOT NULL;
