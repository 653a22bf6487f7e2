-- Client secrets a realm lets scripts read back (Keycloak's GET …/client-secret): besides its
-- argon2id hash, a secret may be kept sealed with the master key (AES-256-GCM, as signing keys
-- are) when its realm says so. Twin in the other dialect's folder, same name.
ALTER TABLE realms ADD COLUMN retrievable_secrets BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE client_secrets ADD COLUMN sealed TEXT;
