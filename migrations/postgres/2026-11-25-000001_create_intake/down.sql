DROP TABLE idempotency_keys;
DROP TABLE reporter_contacts;
DROP TABLE report_history CASCADE;
DROP FUNCTION report_history_refuse_update;
DROP TABLE reports;
DROP TABLE categories;
DROP TABLE departments;
