-- An account made by a single sign-on login (`oidc.create_accounts`) has no role until an
-- admin gives it one: `role` may be NULL, meaning "no access yet" (every staff endpoint
-- answers 403). The CHECK constraint lets NULL pass.
ALTER TABLE accounts ALTER COLUMN role DROP NOT NULL;
