-- Report events for admins' webhook endpoints (docs/api-guide.md#report-events).
-- `report_events` is written in the transaction of its cause (intake, a status change, a
-- public note, re-routing, a merge); `event_deliveries` gets one row per matching active
-- endpoint in the same transaction. A delivery is sent only when no earlier delivery of the
-- same endpoint and report (lower id) is pending or dead: per endpoint and report, the
-- order of the rows is the order of delivery.
CREATE TABLE event_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON arrays: event types, department ids, category ids, CBS area codes ([] = all).
    event_types TEXT NOT NULL DEFAULT '[]',
    departments TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    areas TEXT NOT NULL DEFAULT '[]',
    include_reporter_contact BOOLEAN NOT NULL DEFAULT 0,
    -- The admin account that allowed the contact: every delivery carrying it is audited in its name.
    contact_allowed_by TEXT REFERENCES accounts (id),
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE report_events (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    occurred_at TEXT NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id);
CREATE INDEX report_events_occurred ON report_events (occurred_at);

CREATE TABLE event_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL REFERENCES event_endpoints (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES report_events (id) ON DELETE CASCADE,
    report_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    last_error_class TEXT,
    replay BOOLEAN NOT NULL DEFAULT 0,
    contact_included BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
-- Due deliveries, and the earlier ones of the same endpoint and report that hold them back.
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX event_deliveries_queue ON event_deliveries (endpoint_id, report_id, id) WHERE status IN ('pending', 'dead');
CREATE INDEX event_deliveries_endpoint ON event_deliveries (endpoint_id, id);
CREATE INDEX event_deliveries_event ON event_deliveries (event_id);
