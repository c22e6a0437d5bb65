-- Every index on reports costs intake a page write per report when its key is not
-- ascending (a random or spatial key lands on a different page for each report, and each
-- such page is written to the WAL at commit and again at checkpoint). reports_lat_lon, the
-- map's covering index before the grid-cell indexes of 000009, is read by no query any
-- more (the map reads the cell indexes, the duplicate check reads
-- reports_category_lat_lon), so it goes. IF EXISTS: another migration may drop it first.
DROP INDEX IF EXISTS reports_lat_lon;
