DROP INDEX IF EXISTS auth_tokens_expires;
DROP INDEX IF EXISTS outbox_sent;
DROP INDEX IF EXISTS reports_settled;
DROP TABLE retention_lease;
DROP TABLE retention_runs;
DROP TABLE report_records;
