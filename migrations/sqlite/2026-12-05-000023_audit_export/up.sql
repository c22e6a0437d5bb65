-- The privacy officer's export of the audit log filters by staff account and pages newest
-- first by sequence number: (account_id, id) serves both at once, and is the index the
-- foreign key to accounts lacked. The period filter uses audit_log_at, the report filter
-- audit_log_report; action has two values and needs none.
CREATE INDEX audit_log_account ON audit_log (account_id, id);
