-- A password set by an administrator as temporary (Keycloak's UPDATE_PASSWORD required
-- action): the user must choose a new one at the next sign-in, and the password grant refuses
-- the account until then. Twin: ../postgres/0013_temporary_passwords.sql.
ALTER TABLE users ADD COLUMN password_temporary BOOLEAN NOT NULL DEFAULT FALSE;
