DROP INDEX reports_category_lat_lon;
CREATE INDEX reports_category ON reports (category_id);
