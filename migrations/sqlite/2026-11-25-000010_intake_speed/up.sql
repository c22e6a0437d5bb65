-- The duplicate check at intake reads open reports of one category in a box of about 100 m.
-- An index on (category_id, lat, lon) fits it: the category first, then a latitude range with
-- the longitude checked in the index, so only that category's reports in the box's latitude
-- band are read instead of every report in it. It replaces reports_category (category_id),
-- a prefix of it and of reports_category_created, so intake writes no more index entries
-- than before; what used reports_category (the queue's category filter, the foreign key)
-- uses either of those.
DROP INDEX reports_category;
CREATE INDEX reports_category_lat_lon ON reports (category_id, lat, lon);
