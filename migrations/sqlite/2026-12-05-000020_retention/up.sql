-- Retention (docs/privacy.md): the anonymous statistical records that deleted reports
-- leave behind, the log of retention runs (counts only), and the lease that lets one
-- process at a time run the job.

-- What statistics need of a deleted report, and nothing that identifies anyone: no text,
-- no address, no contact, no exact location (the centre of its ~280 m grid cell).
CREATE TABLE report_records (
    id TEXT PRIMARY KEY NOT NULL,
    category_id TEXT NOT NULL,
    department_id TEXT,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deadline_at TEXT,
    settled_at TEXT,
    lifecycle TEXT NOT NULL,
    me_too INTEGER NOT NULL,
    gemeente_code TEXT,
    wijk_code TEXT,
    buurt_code TEXT,
    area_year INTEGER,
    cell_lat DOUBLE NOT NULL,
    cell_lon DOUBLE NOT NULL,
    deleted_at TEXT NOT NULL
);
CREATE INDEX report_records_stats_created ON report_records (gemeente_code, area_year, created_at);
CREATE INDEX report_records_stats_settled ON report_records (gemeente_code, area_year, settled_at);
CREATE INDEX report_records_created ON report_records (created_at, id);

CREATE TABLE retention_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    trigger TEXT NOT NULL,
    outcome TEXT NOT NULL,
    anonymised_reports BIGINT NOT NULL DEFAULT 0,
    deleted_photos BIGINT NOT NULL DEFAULT 0,
    deleted_resolved_reports BIGINT NOT NULL DEFAULT 0,
    deleted_cancelled_reports BIGINT NOT NULL DEFAULT 0,
    erased_outbox_messages BIGINT NOT NULL DEFAULT 0,
    purged_subscriptions BIGINT NOT NULL DEFAULT 0,
    purged_audit_entries BIGINT NOT NULL DEFAULT 0,
    removed_tokens BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX retention_runs_started ON retention_runs (started_at);

CREATE TABLE retention_lease (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
INSERT INTO retention_lease (id, holder, expires_at) VALUES (1, '', '1970-01-01T00:00:00.000000Z');

-- What the retention steps look for.
CREATE INDEX reports_settled ON reports (settled_at);
CREATE INDEX outbox_sent ON outbox (sent_at);
CREATE INDEX auth_tokens_expires ON auth_tokens (expires_at);
