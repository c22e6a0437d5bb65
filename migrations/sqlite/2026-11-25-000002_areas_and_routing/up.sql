-- CBS areas (gemeente / wijk / buurt, by boundary year), routing rules, the area stamp and
-- routing decision on every report, and a generation counter that tells every process
-- when configuration changed.

CREATE TABLE areas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    level TEXT NOT NULL CHECK (level IN ('gemeente', 'wijk', 'buurt')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    gemeente_code TEXT NOT NULL,
    wijk_code TEXT,
    geometry TEXT NOT NULL,
    min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (level, year, code)
);
CREATE INDEX areas_gemeente ON areas (level, gemeente_code);

CREATE TABLE area_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    level TEXT NOT NULL,
    year INTEGER NOT NULL,
    features INTEGER NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE routing_rules (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    priority TEXT,
    deadline_hours INTEGER CHECK (deadline_hours IS NULL OR deadline_hours > 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules (position);

CREATE TABLE config_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings BIGINT NOT NULL,
    areas BIGINT NOT NULL
);
INSERT INTO config_generation (id, settings, areas) VALUES (1, 0, 0);

ALTER TABLE reports ADD COLUMN gemeente_code TEXT;
ALTER TABLE reports ADD COLUMN wijk_code TEXT;
ALTER TABLE reports ADD COLUMN buurt_code TEXT;
ALTER TABLE reports ADD COLUMN area_year INTEGER;
ALTER TABLE reports ADD COLUMN routing_rule_id TEXT;
ALTER TABLE reports ADD COLUMN routing_reason TEXT NOT NULL DEFAULT 'category_default';
ALTER TABLE reports ADD COLUMN department_locked BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX reports_buurt ON reports (buurt_code);
CREATE INDEX reports_wijk ON reports (wijk_code);
CREATE INDEX reports_gemeente ON reports (gemeente_code);
