-- Statistics read a report's life from its own row, not from report_history (three or more
-- rows per report): `lifecycle` lists every closing and reopening as a space-separated event
-- `R<epoch seconds>` (resolved), `C<…>` (cancelled) or `O<…>` (reopened), oldest first;
-- `settled_at` is the instant of the last closing while the report is closed, else NULL;
-- `me_too` counts supporters plus the reports merged into this one (each with its own
-- me_too). All three are written in the same transaction as the change they record.
-- `source_id` is the identifier a report had in the system it was imported from.
ALTER TABLE reports ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN settled_at TEXT;
ALTER TABLE reports ADD COLUMN me_too INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN source_id TEXT;

UPDATE reports
SET lifecycle = COALESCE((
    SELECT group_concat(
        CASE json_extract(h.details, '$.to') WHEN 'resolved' THEN 'R' WHEN 'cancelled' THEN 'C' ELSE 'O' END
            || CAST(strftime('%s', h.at) AS INTEGER), ' ' ORDER BY h.id)
    FROM report_history h
    WHERE h.report_id = reports.id AND h.action = 'status_changed'
      AND json_extract(h.details, '$.to') IN ('resolved', 'cancelled', 'reopened')), '');
UPDATE reports
SET settled_at = (
    SELECT MAX(h.at) FROM report_history h
    WHERE h.report_id = reports.id AND h.action = 'status_changed'
      AND json_extract(h.details, '$.to') IN ('resolved', 'cancelled'))
WHERE status IN ('resolved', 'cancelled');
UPDATE reports
SET me_too = (SELECT COUNT(*) FROM report_supporters s WHERE s.report_id = reports.id)
           + (SELECT COUNT(*) FROM reports d WHERE d.merged_into_id = reports.id);

-- The statistics select reports by municipality and stamped boundary year, then those
-- received in the period asked (created_at), and those received before it that were still
-- open at its start (settled_at NULL or after the start). The first index replaces
-- reports_gemeente (same leading column); the second is new. A question about wijken or
-- buurten only reads the reports stamped with them: reports_wijk and reports_buurt gain
-- area_year and created_at (same leading column, so the queue's filters still use them).
DROP INDEX reports_gemeente;
CREATE INDEX reports_stats_created ON reports (gemeente_code, area_year, created_at);
CREATE INDEX reports_stats_settled ON reports (gemeente_code, area_year, settled_at);
DROP INDEX reports_wijk;
CREATE INDEX reports_wijk ON reports (wijk_code, area_year, created_at);
DROP INDEX reports_buurt;
CREATE INDEX reports_buurt ON reports (buurt_code, area_year, created_at);
CREATE UNIQUE INDEX reports_source_id ON reports (source, source_id) WHERE source_id IS NOT NULL;
