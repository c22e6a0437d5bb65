-- Back to a role on every account: accounts without one become deactivated analysts.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE accounts_new (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'department_staff', 'analyst')),
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO accounts_new (id, email, name, role, password_hash, active, created_at, updated_at)
SELECT id, email, name, coalesce(role, 'analyst'), password_hash, active AND role IS NOT NULL, created_at, updated_at
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
COMMIT;
PRAGMA foreign_keys = ON;
