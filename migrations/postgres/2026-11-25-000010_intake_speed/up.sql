-- Fewer, better fitted indexes on reports: every index is written for every new report, and
-- intake is the hottest write path.
-- reports_category (category_id) is a prefix of reports_category_created and of the new
-- reports_category_lat_lon: either serves what it served (the foreign key included).
DROP INDEX reports_category;
-- A handful of statuses and of municipalities: the staff queue and the Open311 list filter
-- them while walking reports_created_at (newest first, a page at a time) instead.
DROP INDEX reports_status;
DROP INDEX reports_gemeente;
-- The duplicate check at intake: open reports of one category in a box of about 100 m. The
-- category first, then a latitude range with the longitude checked in the index, reads only
-- that category's reports in the box's latitude band instead of every report in it.
CREATE INDEX reports_category_lat_lon ON reports (category_id, lat, lon);
