-- Neighbourhood subscriptions, announcements with quick questions, and their delivery
-- through the one shared outbox.
--
-- A subscription's targets (buurt/wijk/gemeente codes, a point with a radius, a polygon)
-- are resolved when it is saved to the finest area codes they cover (subscription_areas);
-- an announcement's targets likewise (announcement_areas). Fan-out is then one
-- INSERT ... SELECT DISTINCT over an indexed join, in the transaction that publishes.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'push')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'ended')),
    email TEXT,
    webhook_url TEXT,
    webhook_secret TEXT,
    push_endpoint TEXT,
    push_p256dh TEXT,
    push_auth TEXT,
    language TEXT NOT NULL DEFAULT 'nl',
    targets TEXT NOT NULL,
    home_area TEXT,
    all_tags BOOLEAN NOT NULL DEFAULT TRUE,
    tags TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    confirm_token_hash TEXT UNIQUE,
    challenge TEXT,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    ended_at TEXT
);

CREATE TABLE subscription_areas (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    PRIMARY KEY (area_code, subscription_id)
) WITHOUT ROWID;
CREATE INDEX subscription_areas_subscription ON subscription_areas (subscription_id);

CREATE TABLE subscription_tags (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (subscription_id, tag)
) WITHOUT ROWID;

CREATE TABLE announcements (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published', 'withdrawn')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    areas TEXT NOT NULL DEFAULT '[]',
    polygon TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    valid_from TEXT,
    valid_until TEXT,
    question_text TEXT,
    question_options TEXT,
    question_closed_at TEXT,
    publish_at TEXT,
    published_at TEXT,
    withdrawn_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX announcements_due ON announcements (publish_at) WHERE status = 'scheduled';
CREATE INDEX announcements_published ON announcements (published_at) WHERE status = 'published';

CREATE TABLE announcement_areas (
    announcement_id TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    PRIMARY KEY (area_code, announcement_id)
) WITHOUT ROWID;
CREATE INDEX announcement_areas_announcement ON announcement_areas (announcement_id);

CREATE TABLE answers (
    announcement_id TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    option INTEGER NOT NULL,
    area_code TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (announcement_id, subscription_id)
);

-- Report categories a subscriber wants to hear about (new public reports in their areas),
-- and the cursor of the background job that sends those alerts: it reads reports after the
-- cursor and queues alerts in the transaction that advances it, so intake pays nothing.
CREATE TABLE subscription_categories (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    category_slug TEXT NOT NULL,
    PRIMARY KEY (category_slug, subscription_id)
) WITHOUT ROWID;
CREATE INDEX subscription_categories_subscription ON subscription_categories (subscription_id);

CREATE TABLE report_alert_cursor (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    created_at TEXT NOT NULL,
    report_id TEXT NOT NULL
);

-- Secrets for signed links (management, one-click unsubscribe, one-tap answers), created
-- on first use.
CREATE TABLE link_secrets (
    purpose TEXT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);

-- The one outbox gains a channel and the subscription and announcement a message belongs
-- to. Announcement rows carry no recipient or parameters: the worker reads the
-- subscription (so a subscription ended before delivery gets nothing) and the announcement
-- when it sends. SQLite cannot change a CHECK constraint, so the table is rebuilt.
-- No foreign keys on the new references: fan-out writes a million rows at once, and the
-- worker checks both when it delivers.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT REFERENCES reports (id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    language TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'webhook', 'push')),
    subscription_id TEXT,
    announcement_id TEXT
);
INSERT INTO outbox_new (id, report_id, recipient, language, template, params, status, attempts, next_attempt_at,
                        last_error, created_at, sent_at)
SELECT id, report_id, recipient, language, template, params, status, attempts, next_attempt_at,
       last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
-- Only rows about a report need this index (announcement fan-out writes many without one).
CREATE INDEX outbox_report ON outbox (report_id) WHERE report_id IS NOT NULL;
CREATE UNIQUE INDEX outbox_delivery ON outbox (announcement_id, subscription_id) WHERE announcement_id IS NOT NULL;
