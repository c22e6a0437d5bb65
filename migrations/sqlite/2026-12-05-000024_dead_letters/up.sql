-- Dead letters for operators (docs/operations.md#metrics-and-alerts): the class of the last
-- failure (a fixed word such as `mail` or `webhook`, never the error text, which may hold an
-- address), and small partial indexes that make counting and listing the dead ones cheap
-- (they hold only dead rows, which are few; sent rows, the many, are not in them).
ALTER TABLE outbox ADD COLUMN last_error_class TEXT;
ALTER TABLE announcement_deliveries ADD COLUMN last_error_class TEXT;
CREATE INDEX outbox_dead ON outbox (channel) WHERE status = 'dead';
CREATE INDEX announcement_deliveries_dead ON announcement_deliveries (channel) WHERE status = 'dead';
