-- Nothing on SQLite: its writes are serialised, so history entry ids are committed in order
-- (the PostgreSQL migration of the same name adds report_history.recorded_at).
SELECT 1;
