-- The map's spatial index: a grid-cell key per report, at three sizes, each indexed as
-- (cell, created_at, id) including every column the map shows (index-only scans). A box is
-- the few cells it touches at the finest size where that is at most 36 cells; the map reads
-- each cell newest first and merges them (a UNION ALL ordered by created_at: a Merge Append
-- under the LIMIT), so the first page of 500 reads about 500 index entries plus those of
-- the box's edge cells that lie outside the box, instead of the whole latitude band
-- through reports_lat_lon and a sort.
--
-- Cell of level L: row * 1000000 + column, row = floor((lat + 90) * R), column =
-- floor((lon + 180) * C); level 0: R = 400, C = 250 (0.0025 by 0.004 degrees, about
-- 280 m square in the Netherlands); each level 8 times coarser. The expressions here must
-- stay exactly those of src/storage/map.rs (a unit test compares them), or the indexes are
-- not used. They are indexes on expressions, so they are filled for existing reports when
-- created and kept by PostgreSQL on every insert and update of lat/lon.
CREATE INDEX reports_map_cell0 ON reports (
    ((floor((lat + 90.0::float8) * 400.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 250.0::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell1 ON reports (
    ((floor((lat + 90.0::float8) * 50.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 31.25::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell2 ON reports (
    ((floor((lat + 90.0::float8) * 6.25::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 3.90625::float8))::bigint),
    created_at, id) INCLUDE (category_id, status, reference, lat, lon);
