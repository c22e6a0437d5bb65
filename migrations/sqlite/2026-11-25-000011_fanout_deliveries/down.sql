-- Pending and finished announcement deliveries go back into the outbox as rows of their own.
ALTER TABLE outbox ADD COLUMN announcement_id TEXT;
INSERT INTO outbox (id, report_id, recipient, language, template, params, status, attempts, next_attempt_at,
                    last_error, created_at, sent_at, channel, subscription_id, announcement_id)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-a'
       || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
       NULL, '', s.language, 'announcement', '{}', d.status, d.attempts,
       COALESCE(d.next_attempt_at, a.published_at, a.created_at), d.last_error, COALESCE(a.published_at, a.created_at),
       d.sent_at, d.channel, s.id, a.id
FROM announcement_deliveries d JOIN announcements a ON a.seq = d.announcement_seq
JOIN subscriptions s ON s.seq = d.subscription_seq;
CREATE UNIQUE INDEX outbox_delivery ON outbox (announcement_id, subscription_id) WHERE announcement_id IS NOT NULL;
DROP TABLE announcement_deliveries;

CREATE TABLE subscription_areas_old (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    PRIMARY KEY (area_code, subscription_id)
) WITHOUT ROWID;
INSERT INTO subscription_areas_old (subscription_id, area_code) SELECT subscription_id, area_code FROM subscription_areas;
DROP TABLE subscription_areas;
ALTER TABLE subscription_areas_old RENAME TO subscription_areas;
CREATE INDEX subscription_areas_subscription ON subscription_areas (subscription_id);

DROP INDEX announcements_delivering;
DROP TRIGGER announcements_seq;
DROP INDEX announcements_seq;
ALTER TABLE announcements DROP COLUMN deliveries_last;
ALTER TABLE announcements DROP COLUMN deliveries_claimed_to;
ALTER TABLE announcements DROP COLUMN seq;

DROP TRIGGER subscriptions_seq;
DROP INDEX subscriptions_fanout;
DROP INDEX subscriptions_seq;
ALTER TABLE subscriptions DROP COLUMN seq;
