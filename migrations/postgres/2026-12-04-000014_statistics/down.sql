DROP INDEX reports_source_id;
DROP INDEX reports_stats_settled;
DROP INDEX reports_stats_created;
DROP INDEX reports_buurt;
CREATE INDEX reports_buurt ON reports (buurt_code);
DROP INDEX reports_wijk;
CREATE INDEX reports_wijk ON reports (wijk_code);
CREATE INDEX reports_gemeente ON reports (gemeente_code);
ALTER TABLE reports DROP COLUMN source_id, DROP COLUMN me_too, DROP COLUMN settled_at, DROP COLUMN lifecycle;
