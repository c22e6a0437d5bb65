DROP INDEX reports_source_id;
DROP INDEX reports_stats_settled;
DROP INDEX reports_stats_created;
CREATE INDEX reports_gemeente ON reports (gemeente_code);
ALTER TABLE reports DROP COLUMN source_id;
ALTER TABLE reports DROP COLUMN me_too;
ALTER TABLE reports DROP COLUMN settled_at;
ALTER TABLE reports DROP COLUMN lifecycle;
