-- Departments, the category tree, reports with their append-only history, reporter
-- contacts (kept apart from the report row) and idempotency keys.
-- UUIDs are canonical lowercase TEXT; instants are RFC 3339 UTC TEXT with microseconds.

CREATE TABLE departments (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name_nl TEXT NOT NULL,
    name_en TEXT NOT NULL,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    parent_id TEXT REFERENCES categories (id),
    slug TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_nl TEXT,
    description_en TEXT,
    is_public BOOLEAN NOT NULL DEFAULT 1,
    is_sensitive BOOLEAN NOT NULL DEFAULT 0,
    handling_hours INTEGER CHECK (handling_hours IS NULL OR handling_hours > 0),
    default_department_id TEXT REFERENCES departments (id),
    questions TEXT NOT NULL DEFAULT '[]',
    active BOOLEAN NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- A main category and a subcategory may share a slug (Signalen's "overig"), two of a kind may not.
CREATE UNIQUE INDEX categories_main_slug ON categories (slug) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX categories_sub_slug ON categories (slug) WHERE parent_id IS NOT NULL;
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    category_id TEXT NOT NULL REFERENCES categories (id),
    description TEXT NOT NULL,
    lat DOUBLE NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon DOUBLE NOT NULL CHECK (lon BETWEEN -180 AND 180),
    address TEXT,
    status TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'normal',
    source TEXT NOT NULL,
    answers TEXT NOT NULL DEFAULT '{}',
    department_id TEXT REFERENCES departments (id),
    deadline_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX reports_created_at ON reports (created_at);
CREATE INDEX reports_category ON reports (category_id);
CREATE INDEX reports_status ON reports (status);

CREATE TABLE report_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX report_history_report ON report_history (report_id, id);
-- The history is append-only: an entry, once written, never changes.
CREATE TRIGGER report_history_append_only BEFORE UPDATE ON report_history
BEGIN
    SELECT RAISE(ABORT, 'report_history is append-only');
END;

CREATE TABLE reporter_contacts (
    report_id TEXT PRIMARY KEY NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    email TEXT,
    phone TEXT,
    name TEXT,
    consent_to_contact BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY NOT NULL,
    request_hash TEXT NOT NULL,
    -- Deferred: the key is claimed before the report it points at is written.
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    created_at TEXT NOT NULL
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
