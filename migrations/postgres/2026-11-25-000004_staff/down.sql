ALTER TABLE reports DROP COLUMN assignee_id;
DROP TABLE audit_log;
DROP TABLE auth_tokens;
DROP TABLE account_departments;
DROP TABLE accounts;
