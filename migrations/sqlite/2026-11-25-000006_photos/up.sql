-- Photos of reports (the image bytes live in the photo store, not here), the secret that
-- signs photo upload tokens, and the map generation: a counter that every change to
-- reports or photos bumps (by trigger, so no writer can forget it), which lets map
-- answers be cached and re-polled with ETags cheaply and correctly across processes.

CREATE TABLE report_photos (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    media_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    thumbnail_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    thumbnail_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (report_id, position)
);

CREATE TABLE photo_upload_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);
INSERT INTO photo_upload_secret (id, secret) VALUES (1, lower(hex(randomblob(32))));

CREATE TABLE map_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO map_generation (id, value) VALUES (1, 0);

CREATE TRIGGER reports_map_generation_insert AFTER INSERT ON reports
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER reports_map_generation_update AFTER UPDATE ON reports
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER reports_map_generation_delete AFTER DELETE ON reports
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER report_photos_map_generation_insert AFTER INSERT ON report_photos
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER report_photos_map_generation_delete AFTER DELETE ON report_photos
BEGIN
    UPDATE map_generation SET value = value + 1 WHERE id = 1;
END;

-- The map's bounding-box query: a range on lat, lon checked from the index, and every
-- column the map shows in the index too, so the query never visits the table (a covering
-- index: no row lookups for the thousands of reports in a box).
CREATE INDEX reports_lat_lon ON reports (lat, lon, created_at, id, category_id, status, reference);
