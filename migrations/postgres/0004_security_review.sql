-- Fixes of the security review (issue 7). Twin in the other dialect's folder, same name.

-- SSO sessions end after this much inactivity or this long after sign-in (Keycloak's
-- ssoSessionIdleTimeout / ssoSessionMaxLifespan).
ALTER TABLE realms ADD COLUMN sso_session_idle_timeout BIGINT NOT NULL DEFAULT 1800;
ALTER TABLE realms ADD COLUMN sso_session_max_lifespan BIGINT NOT NULL DEFAULT 36000;

-- Keycloak's "full scope allowed": on, user tokens carry every role of the user; off, only
-- the roles in the client's role scope mappings (and the client's own roles).
ALTER TABLE clients ADD COLUMN full_scope_allowed BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE client_scope_roles (
    client_pk TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    role_id   TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (client_pk, role_id)
);

-- Pending device requests are looked up by realm as well as by hash.
CREATE INDEX device_codes_realm ON device_codes(realm_id);
