DROP INDEX IF EXISTS announcement_deliveries_dead;
DROP INDEX IF EXISTS outbox_dead;
ALTER TABLE announcement_deliveries DROP COLUMN last_error_class;
ALTER TABLE outbox DROP COLUMN last_error_class;
