-- Pending and finished announcement deliveries go back into the outbox as rows of their own.
ALTER TABLE outbox ADD COLUMN announcement_id uuid;
INSERT INTO outbox (id, report_id, recipient, language, template, params, status, attempts, next_attempt_at,
                    last_error, created_at, sent_at, channel, subscription_id, announcement_id)
SELECT gen_random_uuid(), NULL, '', s.language, 'announcement', '{}', d.status, d.attempts,
       COALESCE(d.next_attempt_at, a.published_at, a.created_at), d.last_error, COALESCE(a.published_at, a.created_at),
       d.sent_at, d.channel, s.id, a.id
FROM announcement_deliveries d JOIN announcements a ON a.seq = d.announcement_seq
JOIN subscriptions s ON s.seq = d.subscription_seq;
CREATE UNIQUE INDEX outbox_delivery ON outbox (announcement_id, subscription_id) WHERE announcement_id IS NOT NULL;
DROP TABLE announcement_deliveries;

DROP INDEX subscription_areas_seq;
ALTER TABLE subscription_areas DROP CONSTRAINT subscription_areas_pkey;
ALTER TABLE subscription_areas ADD PRIMARY KEY (area_code, subscription_id);
ALTER TABLE subscription_areas DROP COLUMN subscription_seq;

DROP INDEX announcements_delivering;
ALTER TABLE announcements DROP COLUMN deliveries_last;
ALTER TABLE announcements DROP COLUMN deliveries_claimed_to;
ALTER TABLE announcements DROP COLUMN seq;
ALTER TABLE subscriptions DROP COLUMN seq;
