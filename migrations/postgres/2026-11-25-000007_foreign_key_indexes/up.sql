-- Every column that references reports gets an index. SQLite searches the child table of a
-- deferred foreign key (idempotency_keys.report_id: the key is claimed before its report is
-- written) for every new report; without an index that is a full scan per report, which made
-- intake slower as the table grew. Deleting a report (retention) looks up every child table too.
CREATE INDEX idempotency_keys_report ON idempotency_keys (report_id);
CREATE INDEX follow_tokens_report ON follow_tokens (report_id);
CREATE INDEX outbox_report ON outbox (report_id);
CREATE INDEX audit_log_report ON audit_log (report_id);
