DROP INDEX outbox_delivery;
DELETE FROM outbox WHERE status = 'cancelled' OR subscription_id IS NOT NULL;
CREATE TABLE outbox_old (
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
INSERT INTO outbox_old SELECT id, report_id, recipient, language, template, params, status, attempts,
    next_attempt_at, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_report ON outbox (report_id);
DROP TABLE link_secrets;
DROP TABLE report_alert_cursor;
DROP TABLE subscription_categories;
DROP TABLE answers;
DROP TABLE announcement_areas;
DROP TABLE announcements;
DROP TABLE subscription_tags;
DROP TABLE subscription_areas;
DROP TABLE subscriptions;
