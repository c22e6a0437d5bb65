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

-- Same number of indexes on reports as before (intake writes every one): the statistics'
-- selection by municipality and receipt time, and of reports that were still open during
-- the period asked (open now, or settled since its start), extend the two they replace.
DROP INDEX reports_gemeente;
CREATE INDEX reports_gemeente_created ON reports (gemeente_code, created_at);
DROP INDEX reports_status;
CREATE INDEX reports_status_settled ON reports (status, settled_at);
CREATE UNIQUE INDEX reports_source_id ON reports (source, source_id) WHERE source_id IS NOT NULL;
