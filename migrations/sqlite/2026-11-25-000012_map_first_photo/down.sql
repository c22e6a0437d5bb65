DROP INDEX reports_map_cell0;
DROP INDEX reports_map_cell1;
DROP INDEX reports_map_cell2;
CREATE INDEX reports_map_cell0 ON reports (
    (CAST((lat + 90.0) * 400.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 250.0 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell1 ON reports (
    (CAST((lat + 90.0) * 50.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 31.25 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell2 ON reports (
    (CAST((lat + 90.0) * 6.25 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 3.90625 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
DROP TRIGGER report_photos_first_photo_update;
DROP TRIGGER report_photos_first_photo_delete;
DROP TRIGGER report_photos_first_photo_insert;
ALTER TABLE reports DROP COLUMN first_photo_id;
