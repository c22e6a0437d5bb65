-- Statistics read a report's life from its own row, not from report_history (three or more
-- rows per report): `lifecycle` lists every closing and reopening as a space-separated event
-- `R<epoch seconds>` (resolved), `C<…>` (cancelled) or `O<…>` (reopened), oldest first;
-- `settled_at` is the instant of the last closing while the report is closed, else NULL;
-- `me_too` counts supporters plus the reports merged into this one (each with its own
-- me_too). All three are written in the same transaction as the change they record.
-- `source_id` is the identifier a report had in the system it was imported from.
ALTER TABLE reports
    ADD COLUMN lifecycle text NOT NULL DEFAULT '',
    ADD COLUMN settled_at timestamptz,
    ADD COLUMN me_too integer NOT NULL DEFAULT 0,
    ADD COLUMN source_id text;

UPDATE reports r
SET lifecycle = s.events
FROM (
    SELECT report_id,
           string_agg(CASE details::jsonb ->> 'to' WHEN 'resolved' THEN 'R' WHEN 'cancelled' THEN 'C' ELSE 'O' END
                      || floor(extract(epoch FROM at))::bigint, ' ' ORDER BY id) AS events
    FROM report_history
    WHERE action = 'status_changed' AND details::jsonb ->> 'to' IN ('resolved', 'cancelled', 'reopened')
    GROUP BY report_id) s
WHERE r.id = s.report_id;
UPDATE reports r
SET settled_at = s.last_closed
FROM (
    SELECT report_id, MAX(at) AS last_closed
    FROM report_history
    WHERE action = 'status_changed' AND details::jsonb ->> 'to' IN ('resolved', 'cancelled')
    GROUP BY report_id) s
WHERE r.id = s.report_id AND r.status IN ('resolved', 'cancelled');
UPDATE reports r
SET me_too = (SELECT COUNT(*) FROM report_supporters s WHERE s.report_id = r.id)
           + (SELECT COUNT(*) FROM reports d WHERE d.merged_into_id = r.id)
WHERE EXISTS (SELECT 1 FROM report_supporters s WHERE s.report_id = r.id)
   OR EXISTS (SELECT 1 FROM reports d WHERE d.merged_into_id = r.id);

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
