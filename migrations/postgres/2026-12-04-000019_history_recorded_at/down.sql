ALTER TABLE report_history DROP COLUMN recorded_at;
