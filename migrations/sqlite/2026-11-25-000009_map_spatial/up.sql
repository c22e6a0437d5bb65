-- The map's spatial index: a grid-cell key per report, at three sizes, each indexed as
-- (cell, created_at, id) with every column the map shows (covering: the query never
-- visits the table). A box is the few cells it touches at the finest size where that is
-- at most 36 cells; the map reads each cell newest first and merges them (a UNION ALL
-- ordered by created_at: SQLite merges the already ordered arms lazily), so the first
-- page of 500 reads about 500 index entries plus those of the box's edge cells that lie
-- outside the box, instead of the whole latitude band through reports_lat_lon and a sort.
--
-- Cell of level L: row * 1000000 + column, row = floor((lat + 90) * R), column =
-- floor((lon + 180) * C); level 0: R = 400, C = 250 (0.0025 by 0.004 degrees, about
-- 280 m square in the Netherlands); each level 8 times coarser. The expressions here must
-- stay exactly those of src/storage/map.rs (a unit test compares them), or the indexes are
-- not used; CAST truncates, which is floor for these non-negative values. They are indexes
-- on expressions, so they are filled for existing reports when created and kept by SQLite
-- on every insert and update of lat/lon: nothing in the write path to forget.
CREATE INDEX reports_map_cell0 ON reports (
    (CAST((lat + 90.0) * 400.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 250.0 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell1 ON reports (
    (CAST((lat + 90.0) * 50.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 31.25 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
CREATE INDEX reports_map_cell2 ON reports (
    (CAST((lat + 90.0) * 6.25 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 3.90625 AS INTEGER)),
    created_at, id, category_id, status, reference, lat, lon);
