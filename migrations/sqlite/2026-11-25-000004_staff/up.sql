-- Staff accounts with their roles and departments, bearer tokens (sessions and API
-- tokens, stored as SHA-256 hashes), the audit log of views of personal data, and the
-- report's assignee.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'department_staff', 'analyst')),
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE account_departments (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    department_id TEXT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (account_id, department_id)
);

CREATE TABLE auth_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    label TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX auth_tokens_account ON auth_tokens (account_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    action TEXT NOT NULL,
    report_id TEXT REFERENCES reports (id) ON DELETE SET NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

ALTER TABLE reports ADD COLUMN assignee_id TEXT REFERENCES accounts (id);

-- Full-text search for staff (`q`): an FTS5 index over the report's text, kept in sync by
-- triggers (external content: the text is stored once, in `reports`).
CREATE VIRTUAL TABLE reports_fts USING fts5(
    reference, description, address, content = 'reports', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO reports_fts (reports_fts) VALUES ('rebuild');
CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts (rowid, reference, description, address)
    VALUES (new.rowid, new.reference, new.description, new.address);
END;
CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, reference, description, address)
    VALUES ('delete', old.rowid, old.reference, old.description, old.address);
END;
CREATE TRIGGER reports_fts_update AFTER UPDATE OF reference, description, address ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, reference, description, address)
    VALUES ('delete', old.rowid, old.reference, old.description, old.address);
    INSERT INTO reports_fts (rowid, reference, description, address)
    VALUES (new.rowid, new.reference, new.description, new.address);
END;
CREATE INDEX reports_department_created ON reports (department_id, created_at);
CREATE INDEX reports_deadline ON reports (deadline_at);

-- Reporter updates: the language of their emails, private follow links (hashed tokens),
-- and the outbox of messages written in the same transaction as their cause.
ALTER TABLE reporter_contacts ADD COLUMN language TEXT NOT NULL DEFAULT 'nl';

CREATE TABLE follow_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT REFERENCES reports (id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    language TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- Duplicates: how near and how recent an open report of the same category must be to be
-- offered as "me too"; supporters (with an optional email, kept apart like reporter
-- contacts); the report a duplicate was merged into.
ALTER TABLE categories ADD COLUMN duplicate_radius_m INTEGER NOT NULL DEFAULT 50 CHECK (duplicate_radius_m >= 0);
ALTER TABLE categories ADD COLUMN duplicate_window_days INTEGER NOT NULL DEFAULT 30 CHECK (duplicate_window_days >= 0);
ALTER TABLE reports ADD COLUMN merged_into_id TEXT REFERENCES reports (id);
CREATE INDEX reports_merged_into ON reports (merged_into_id) WHERE merged_into_id IS NOT NULL;
CREATE INDEX reports_category_created ON reports (category_id, created_at);

CREATE TABLE report_supporters (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    email TEXT,
    language TEXT NOT NULL DEFAULT 'nl',
    created_at TEXT NOT NULL
);
CREATE INDEX report_supporters_report ON report_supporters (report_id);
