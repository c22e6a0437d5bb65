ALTER TABLE auth_tokens DROP COLUMN last_used_at;
