DROP TABLE idempotency_keys;
DROP TABLE reporter_contacts;
DROP TRIGGER report_history_append_only;
DROP TABLE report_history;
DROP TABLE reports;
DROP TABLE categories;
DROP TABLE departments;
