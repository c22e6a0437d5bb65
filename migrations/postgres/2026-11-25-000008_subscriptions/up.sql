-- Neighbourhood subscriptions, announcements with quick questions, and their delivery
-- through the one shared outbox.
--
-- A subscription's targets (buurt/wijk/gemeente codes, a point with a radius, a polygon)
-- are resolved when it is saved to the finest area codes they cover (subscription_areas);
-- an announcement's targets likewise (announcement_areas). Fan-out is then one
-- INSERT ... SELECT DISTINCT over an indexed join, in the transaction that publishes.
CREATE TABLE subscriptions (
    id uuid PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'push')),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'ended')),
    email text,
    webhook_url text,
    webhook_secret text,
    push_endpoint text,
    push_p256dh text,
    push_auth text,
    language text NOT NULL DEFAULT 'nl',
    targets text NOT NULL,
    home_area text,
    all_tags boolean NOT NULL DEFAULT TRUE,
    tags text NOT NULL DEFAULT '[]',
    categories text NOT NULL DEFAULT '[]',
    confirm_token_hash text UNIQUE,
    challenge text,
    created_at timestamptz NOT NULL,
    confirmed_at timestamptz,
    ended_at timestamptz
);

CREATE TABLE subscription_areas (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    area_code text NOT NULL,
    PRIMARY KEY (area_code, subscription_id)
);
CREATE INDEX subscription_areas_subscription ON subscription_areas (subscription_id);

CREATE TABLE subscription_tags (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    tag text NOT NULL,
    PRIMARY KEY (subscription_id, tag)
);

CREATE TABLE announcements (
    id uuid PRIMARY KEY,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published', 'withdrawn')),
    title text NOT NULL,
    body text NOT NULL,
    areas text NOT NULL DEFAULT '[]',
    polygon text,
    tags text NOT NULL DEFAULT '[]',
    valid_from timestamptz,
    valid_until timestamptz,
    question_text text,
    question_options text,
    question_closed_at timestamptz,
    publish_at timestamptz,
    published_at timestamptz,
    withdrawn_at timestamptz,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX announcements_due ON announcements (publish_at) WHERE status = 'scheduled';
CREATE INDEX announcements_published ON announcements (published_at) WHERE status = 'published';

CREATE TABLE announcement_areas (
    announcement_id uuid NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    area_code text NOT NULL,
    PRIMARY KEY (area_code, announcement_id)
);
CREATE INDEX announcement_areas_announcement ON announcement_areas (announcement_id);

CREATE TABLE answers (
    announcement_id uuid NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    option integer NOT NULL,
    area_code text NOT NULL,
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (announcement_id, subscription_id)
);

-- Report categories a subscriber wants to hear about (new public reports in their areas),
-- and the cursor of the background job that sends those alerts: it reads reports after the
-- cursor and queues alerts in the transaction that advances it, so intake pays nothing.
CREATE TABLE subscription_categories (
    subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    category_slug text NOT NULL,
    PRIMARY KEY (category_slug, subscription_id)
);
CREATE INDEX subscription_categories_subscription ON subscription_categories (subscription_id);

CREATE TABLE report_alert_cursor (
    id integer PRIMARY KEY CHECK (id = 1),
    created_at timestamptz NOT NULL,
    report_id uuid NOT NULL
);

-- Secrets for signed links (management, one-click unsubscribe, one-tap answers), created
-- on first use.
CREATE TABLE link_secrets (
    purpose text PRIMARY KEY,
    secret text NOT NULL
);

-- The one outbox gains a channel and the subscription and announcement a message belongs
-- to. Announcement rows carry no recipient or parameters: the worker reads the
-- subscription (so a subscription ended before delivery gets nothing) and the announcement
-- when it sends. No foreign keys on the new references: fan-out writes a million rows at
-- once, and the worker checks both when it delivers.
ALTER TABLE outbox ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'webhook', 'push'));
ALTER TABLE outbox ADD COLUMN subscription_id uuid;
ALTER TABLE outbox ADD COLUMN announcement_id uuid;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'dead', 'cancelled'));
-- Only rows about a report need this index (announcement fan-out writes many without one).
DROP INDEX outbox_report;
CREATE INDEX outbox_report ON outbox (report_id) WHERE report_id IS NOT NULL;
CREATE UNIQUE INDEX outbox_delivery ON outbox (announcement_id, subscription_id) WHERE announcement_id IS NOT NULL;
