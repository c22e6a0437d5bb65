-- The monthly roll-up of the statistics (src/domain/stats/rollup.rs): per stamped area,
-- category, department, source and local month, the sums of what its reports did in that
-- month, and per cell a row for month 2147483647 holding how many are open now. Written in
-- the transaction of every change to a report; filled from the reports by the server on
-- its first start after this migration (or `meldpunt stats rebuild`), which then writes
-- stats_rollup_state. Empty codes: none; the nil UUID: no department.
CREATE TABLE stats_months (
    gemeente_code TEXT NOT NULL,
    area_year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    wijk_code TEXT NOT NULL,
    buurt_code TEXT NOT NULL,
    category_id uuid NOT NULL,
    department_id uuid NOT NULL,
    source TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    me_too INTEGER NOT NULL DEFAULT 0,
    resolved INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    with_deadline INTEGER NOT NULL DEFAULT 0,
    on_time INTEGER NOT NULL DEFAULT 0,
    late_factor_3 INTEGER NOT NULL DEFAULT 0,
    open_change INTEGER NOT NULL DEFAULT 0,
    resolution_seconds TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (gemeente_code, area_year, month, wijk_code, buurt_code, category_id, department_id, source)
) WITH (fillfactor = 70);
-- Room on every page: intake and changes update the same cells over and over, and with room
-- PostgreSQL updates a row on its page without new index entries (HOT), as no indexed
-- column changes.
-- Questions about wijken and buurten read by wijk (a buurt's code names its wijk).
CREATE INDEX stats_months_wijk ON stats_months (wijk_code, area_year, month);

-- Present once the roll-up has been filled from the reports.
CREATE TABLE stats_rollup_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    built_at timestamptz NOT NULL,
    reports BIGINT NOT NULL
);
