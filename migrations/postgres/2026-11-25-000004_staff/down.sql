DROP INDEX reports_deadline;
DROP INDEX reports_department_created;
DROP INDEX reports_search;
ALTER TABLE reports DROP COLUMN search;
ALTER TABLE reports DROP COLUMN assignee_id;
DROP TABLE audit_log;
DROP TABLE auth_tokens;
DROP TABLE account_departments;
DROP TABLE accounts;
