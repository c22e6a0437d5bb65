DROP INDEX audit_log_report;
DROP INDEX outbox_report;
DROP INDEX follow_tokens_report;
DROP INDEX idempotency_keys_report;
