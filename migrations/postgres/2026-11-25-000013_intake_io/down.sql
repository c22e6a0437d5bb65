CREATE INDEX IF NOT EXISTS reports_lat_lon ON reports (lat, lon) INCLUDE (created_at, id, category_id, status, reference);
