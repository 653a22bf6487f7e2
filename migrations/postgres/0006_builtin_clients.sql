-- Built-in clients (Keycloak's `realm-management`, whose client roles are the realm's admin
-- permissions): they hold roles, never tokens, and cannot be changed or deleted. Twin in the
-- other dialect's folder, same name.
ALTER TABLE clients ADD COLUMN builtin BOOLEAN NOT NULL DEFAULT FALSE;
