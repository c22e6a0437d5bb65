-- The map shows each report's first photo (lowest position) as a thumbnail. Looking it up
-- per answer cost a second query with up to 500 ids; instead every report keeps the id of
-- its first photo in first_photo_id, kept right by triggers on report_photos (so no writer
-- can forget it), and the map's cell indexes carry it, so a map page stays one covering
-- index read. Reports without photos hold NULL: intake writes nothing more.
ALTER TABLE reports ADD COLUMN first_photo_id TEXT;

UPDATE reports
SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = reports.id ORDER BY p.position LIMIT 1)
WHERE id IN (SELECT report_id FROM report_photos);

CREATE TRIGGER report_photos_first_photo_insert AFTER INSERT ON report_photos
BEGIN
    UPDATE reports
    SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = NEW.report_id ORDER BY p.position LIMIT 1)
    WHERE id = NEW.report_id;
END;
CREATE TRIGGER report_photos_first_photo_delete AFTER DELETE ON report_photos
BEGIN
    UPDATE reports
    SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = OLD.report_id ORDER BY p.position LIMIT 1)
    WHERE id = OLD.report_id;
END;
CREATE TRIGGER report_photos_first_photo_update AFTER UPDATE OF report_id, position ON report_photos
BEGIN
    UPDATE reports
    SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = OLD.report_id ORDER BY p.position LIMIT 1)
    WHERE id = OLD.report_id;
    UPDATE reports
    SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = NEW.report_id ORDER BY p.position LIMIT 1)
    WHERE id = NEW.report_id;
END;

-- The cell indexes of the map_spatial migration, with first_photo_id added to the columns
-- the map reads. The cell expressions must stay exactly those of src/storage/map.rs (a
-- unit test compares them), or the indexes are not used.
DROP INDEX reports_map_cell0;
DROP INDEX reports_map_cell1;
DROP INDEX reports_map_cell2;
CREATE INDEX reports_map_cell0 ON reports (
    (CAST((lat + 90.0) * 400.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 250.0 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon, first_photo_id);
CREATE INDEX reports_map_cell1 ON reports (
    (CAST((lat + 90.0) * 50.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 31.25 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon, first_photo_id);
CREATE INDEX reports_map_cell2 ON reports (
    (CAST((lat + 90.0) * 6.25 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 3.90625 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon, first_photo_id);
