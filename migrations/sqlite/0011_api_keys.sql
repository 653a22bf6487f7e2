-- API keys (PRODUCT §6): long-lived credentials for the admin REST API and for resource servers
-- (introspection). The key itself is shown once; only its argon2id hash is stored. A key holds
-- the roles it was given (a subset of its creator's) and may be limited to projects. Twin in the
-- other dialect's folder, same name.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    realm_id      TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    -- Who may see and revoke it besides realm administrators: `user:{id}` or `client:{pk}`;
    -- NULL for keys made at the command line.
    owner         TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_realm ON api_keys(realm_id, created_at);

CREATE TABLE api_key_roles (
    api_key_id  TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, role_id)
);

CREATE TABLE api_key_projects (
    api_key_id  TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    realm_id    TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    PRIMARY KEY (api_key_id, project_id),
    FOREIGN KEY (realm_id, project_id) REFERENCES projects(realm_id, id) ON DELETE CASCADE
);
