-- When each history entry was inserted, by the database's clock (NULL for entries older than
-- this column). Open311's servicerequestupdates pages by entry id; an id is drawn when the
-- row is inserted, but two transactions can commit in the other order, so a page only shows
-- entries inserted before the oldest transaction still open in this database started
-- (src/storage/open311.rs): an entry with a lower id can then no longer appear after a
-- client's cursor has passed it. No default on existing rows: adding the column rewrites
-- nothing.
ALTER TABLE report_history ADD COLUMN recorded_at timestamptz;
ALTER TABLE report_history ALTER COLUMN recorded_at SET DEFAULT clock_timestamp();
