-- When a token was last used, to within `accounts::LAST_USED_EVERY` (15 minutes): admins
-- see which tokens are still in use. NULL: not used since this column exists.
ALTER TABLE auth_tokens ADD COLUMN last_used_at TEXT;
