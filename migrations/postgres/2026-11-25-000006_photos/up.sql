-- Photos of reports (the image bytes live in the photo store, not here), the secret that
-- signs photo upload tokens, and the map generation: a counter that every change to
-- reports or photos bumps (by a statement-level trigger, so no writer can forget it),
-- which lets map answers be cached and re-polled with ETags cheaply and correctly across
-- processes.

CREATE TABLE report_photos (
    id UUID PRIMARY KEY NOT NULL,
    report_id UUID NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    media_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    thumbnail_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    thumbnail_sha256 TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (report_id, position)
);

CREATE TABLE photo_upload_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);
-- gen_random_uuid() draws from the operating system's strong random source.
INSERT INTO photo_upload_secret (id, secret)
VALUES (1, replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE map_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO map_generation (id, value) VALUES (1, 0);

CREATE FUNCTION bump_map_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_map_generation AFTER INSERT OR UPDATE OR DELETE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION bump_map_generation();
CREATE TRIGGER report_photos_map_generation AFTER INSERT OR DELETE ON report_photos
    FOR EACH STATEMENT EXECUTE FUNCTION bump_map_generation();

-- The map's bounding-box query: a range on lat, lon checked from the index, and every
-- column the map shows included, so the query can be an index-only scan.
CREATE INDEX reports_lat_lon ON reports (lat, lon) INCLUDE (created_at, id, category_id, status, reference);
