-- An account made by a single sign-on login (`oidc.create_accounts`) has no role until an
-- admin gives it one: `role` may be NULL, meaning "no access yet" (every staff endpoint
-- answers 403). SQLite cannot change a column's constraints, so the table is rebuilt, with
-- foreign keys off (else dropping the old table would cascade to tokens and departments)
-- and in one transaction of its own (metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE accounts_new (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT CHECK (role IS NULL OR role IN ('admin', 'coordinator', 'department_staff', 'analyst')),
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO accounts_new (id, email, name, role, password_hash, active, created_at, updated_at)
SELECT id, email, name, role, password_hash, active, created_at, updated_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
COMMIT;
PRAGMA foreign_keys = ON;
