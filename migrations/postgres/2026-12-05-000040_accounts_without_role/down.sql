-- Back to a role on every account: accounts without one become deactivated analysts.
UPDATE accounts SET role = 'analyst', active = false WHERE role IS NULL;
ALTER TABLE accounts ALTER COLUMN role SET NOT NULL;
