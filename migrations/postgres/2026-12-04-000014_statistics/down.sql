DROP INDEX reports_source_id;
DROP INDEX reports_status_settled;
CREATE INDEX reports_status ON reports (status);
DROP INDEX reports_gemeente_created;
CREATE INDEX reports_gemeente ON reports (gemeente_code);
ALTER TABLE reports DROP COLUMN source_id, DROP COLUMN me_too, DROP COLUMN settled_at, DROP COLUMN lifecycle;
