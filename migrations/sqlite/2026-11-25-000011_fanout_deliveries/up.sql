-- Announcement deliveries move out of the shared outbox into a narrow table of their own.
--
-- Why: publishing to a million subscriptions wrote a million outbox rows, each a wide row
-- keyed by a 36-character text id, plus entries in outbox_due and in the unique
-- outbox_delivery (announcement_id, subscription_id): about four b-tree inserts with long
-- text keys per delivery (11.9 s on SQLite, 19.1 s on PostgreSQL for a million). Here a
-- delivery is a row keyed by two integers, PRIMARY KEY (announcement_seq, subscription_seq),
-- which is also what makes it once per subscription; fan-out inserts in key order, so the
-- b-tree is only appended to. The one secondary index holds only rows that wait for a lease
-- to end or for a retry (next_attempt_at set). A fresh delivery has next_attempt_at NULL and
-- is found through a cursor per announcement instead: the worker claims the next rows after
-- announcements.deliveries_claimed_to (up to deliveries_last) in key order and leases them.
--
-- subscriptions.seq and announcements.seq are integer numbers that never change and are
-- never reused. subscription_areas gains subscription_seq so that matching never touches
-- text ids: (area_code, subscription_seq) serves announcements that cover few cells (probe
-- the cells), (subscription_seq, area_code) those that cover many (walk the subscriptions in
-- seq order and test their cells; the result is already in key order, with no de-duplication
-- step).
--
-- A delivery row carries no recipient or text: the worker reads the subscription and the
-- announcement when it sends (an ended subscription or a withdrawn announcement gets
-- nothing). No foreign keys, as before in the outbox: fan-out writes a million rows at once,
-- and the worker checks both when it delivers.
--
-- SQLite has no sequences: a trigger numbers a new row MAX(seq) + 1, which is safe because
-- every write transaction holds the one write lock (BEGIN IMMEDIATE). Rows may also be
-- inserted with a seq already set.
ALTER TABLE subscriptions ADD COLUMN seq INTEGER;
UPDATE subscriptions SET seq = rowid;
CREATE UNIQUE INDEX subscriptions_seq ON subscriptions (seq);
-- Everything fan-out reads of a subscription, in seq order, without reading the table.
CREATE INDEX subscriptions_fanout ON subscriptions (seq, status, all_tags, channel, id);
CREATE TRIGGER subscriptions_seq AFTER INSERT ON subscriptions FOR EACH ROW WHEN NEW.seq IS NULL
BEGIN
    UPDATE subscriptions SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM subscriptions) WHERE rowid = NEW.rowid;
END;

ALTER TABLE announcements ADD COLUMN seq INTEGER;
ALTER TABLE announcements ADD COLUMN deliveries_claimed_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE announcements ADD COLUMN deliveries_last INTEGER NOT NULL DEFAULT 0;
UPDATE announcements SET seq = rowid;
CREATE UNIQUE INDEX announcements_seq ON announcements (seq);
CREATE TRIGGER announcements_seq AFTER INSERT ON announcements FOR EACH ROW WHEN NEW.seq IS NULL
BEGIN
    UPDATE announcements SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM announcements) WHERE rowid = NEW.rowid;
END;

-- A WITHOUT ROWID primary key cannot change: the table is rebuilt (nothing refers to it).
CREATE TABLE subscription_areas_new (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL,
    subscription_seq INTEGER NOT NULL,
    PRIMARY KEY (area_code, subscription_seq)
) WITHOUT ROWID;
INSERT INTO subscription_areas_new (subscription_id, area_code, subscription_seq)
SELECT sa.subscription_id, sa.area_code, s.seq FROM subscription_areas sa JOIN subscriptions s ON s.id = sa.subscription_id;
DROP TABLE subscription_areas;
ALTER TABLE subscription_areas_new RENAME TO subscription_areas;
CREATE INDEX subscription_areas_subscription ON subscription_areas (subscription_id);
CREATE INDEX subscription_areas_seq ON subscription_areas (subscription_seq, area_code);

CREATE TABLE announcement_deliveries (
    announcement_seq INTEGER NOT NULL,
    subscription_seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT,
    PRIMARY KEY (announcement_seq, subscription_seq)
) WITHOUT ROWID;
-- next_attempt_at is set only while a pending delivery is leased or waits for a retry.
CREATE INDEX announcement_deliveries_due ON announcement_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Deliveries already in the outbox move over; the pending ones stay due when they were.
INSERT INTO announcement_deliveries (announcement_seq, subscription_seq, channel, status, attempts, next_attempt_at,
                                     last_error, sent_at)
SELECT a.seq, s.seq, o.channel, o.status, o.attempts, CASE WHEN o.status = 'pending' THEN o.next_attempt_at END,
       o.last_error, o.sent_at
FROM outbox o JOIN announcements a ON a.id = o.announcement_id JOIN subscriptions s ON s.id = o.subscription_id
WHERE o.announcement_id IS NOT NULL;
UPDATE announcements
SET deliveries_last = COALESCE((SELECT MAX(d.subscription_seq) FROM announcement_deliveries d WHERE d.announcement_seq = announcements.seq), 0),
    deliveries_claimed_to = COALESCE((SELECT MAX(d.subscription_seq) FROM announcement_deliveries d WHERE d.announcement_seq = announcements.seq), 0);
-- Announcements whose fresh deliveries the worker has not claimed to the end.
CREATE INDEX announcements_delivering ON announcements (seq) WHERE deliveries_claimed_to < deliveries_last;

DELETE FROM outbox WHERE announcement_id IS NOT NULL;
DROP INDEX outbox_delivery;
ALTER TABLE outbox DROP COLUMN announcement_id;
