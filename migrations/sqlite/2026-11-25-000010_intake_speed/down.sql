DROP INDEX reports_category_lat_lon;
CREATE INDEX reports_gemeente ON reports (gemeente_code);
CREATE INDEX reports_status ON reports (status);
CREATE INDEX reports_category ON reports (category_id);
