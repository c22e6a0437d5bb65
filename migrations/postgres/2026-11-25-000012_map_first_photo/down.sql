DROP INDEX reports_map_cell0;
DROP INDEX reports_map_cell1;
DROP INDEX reports_map_cell2;
CREATE INDEX reports_map_cell0 ON reports (
    ((floor((lat + 90.0::float8) * 400.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 250.0::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell1 ON reports (
    ((floor((lat + 90.0::float8) * 50.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 31.25::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell2 ON reports (
    ((floor((lat + 90.0::float8) * 6.25::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 3.90625::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
DROP TRIGGER report_photos_first_photo ON report_photos;
DROP FUNCTION set_first_photo();
ALTER TABLE reports DROP COLUMN first_photo_id;
