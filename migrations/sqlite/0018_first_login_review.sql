-- Keycloak's "review profile" step of the first broker login (issue 12): `on` shows the
-- upstream profile for review on every first sign-in through the provider, `missing` only when
-- the username or email is missing or already taken in the realm, `off` never (a taken username
-- gets a suffix, a taken email is left out). Twin in the other dialect's folder, same name.
ALTER TABLE identity_providers ADD COLUMN first_login_review TEXT NOT NULL DEFAULT 'missing';
