-- The map shows each report's first photo (lowest position) as a thumbnail. Looking it up
-- per answer cost a second query with up to 500 ids; instead every report keeps the id of
-- its first photo in first_photo_id, kept right by a trigger on report_photos (so no writer
-- can forget it), and the map's cell indexes include it, so a map page stays one
-- index-only read. Reports without photos hold NULL: intake writes nothing more.
ALTER TABLE reports ADD COLUMN first_photo_id UUID;

UPDATE reports r
SET first_photo_id = first.id
FROM (SELECT DISTINCT ON (report_id) report_id, id FROM report_photos ORDER BY report_id, position) first
WHERE r.id = first.report_id;

-- The report's row is locked first: concurrent changes to one report's photos then take
-- turns, and each UPDATE (a new snapshot per statement in READ COMMITTED) sees the photos
-- the other committed.
CREATE FUNCTION set_first_photo() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    report UUID;
BEGIN
    FOREACH report IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.report_id END,
                                  CASE WHEN TG_OP <> 'DELETE' THEN NEW.report_id END] LOOP
        CONTINUE WHEN report IS NULL;
        PERFORM 1 FROM reports WHERE id = report FOR UPDATE;
        UPDATE reports
        SET first_photo_id = (SELECT p.id FROM report_photos p WHERE p.report_id = report ORDER BY p.position LIMIT 1)
        WHERE id = report;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER report_photos_first_photo AFTER INSERT OR DELETE OR UPDATE OF report_id, position ON report_photos
    FOR EACH ROW EXECUTE FUNCTION set_first_photo();

-- The cell indexes of the map_spatial migration, with first_photo_id included. The cell
-- expressions must stay exactly those of src/storage/map.rs (a unit test compares them),
-- or the indexes are not used.
DROP INDEX reports_map_cell0;
DROP INDEX reports_map_cell1;
DROP INDEX reports_map_cell2;
CREATE INDEX reports_map_cell0 ON reports (
    ((floor((lat + 90.0::float8) * 400.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 250.0::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon, first_photo_id);
CREATE INDEX reports_map_cell1 ON reports (
    ((floor((lat + 90.0::float8) * 50.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 31.25::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon, first_photo_id);
CREATE INDEX reports_map_cell2 ON reports (
    ((floor((lat + 90.0::float8) * 6.25::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 3.90625::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon, first_photo_id);
