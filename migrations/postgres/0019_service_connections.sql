-- Service connections (issue 12, item 3; ServiceNow's "OAuth profile"): the realm itself, not a
-- user, connected to a third-party API once by an administrator. Portcullis keeps the token
-- fresh; services whose token carries `role` fetch it. The client secret and the tokens are
-- sealed under the master key, bound to the row. Twin in the other dialect's folder, same name.
CREATE TABLE service_connections (
    id                   TEXT PRIMARY KEY,
    realm_id             TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    alias                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    -- `client_credentials` or `authorization_code` (connected by an administrator in the console).
    grant_type           TEXT NOT NULL,
    token_url            TEXT NOT NULL,
    authorization_url    TEXT,
    client_id            TEXT NOT NULL,
    client_secret_sealed TEXT,
    -- `client_secret_basic` or `client_secret_post`.
    client_auth_method   TEXT NOT NULL DEFAULT 'client_secret_basic',
    scopes               TEXT NOT NULL DEFAULT '',
    -- The role a service's token must carry: a client role of `role_client` (a client_id), or a
    -- realm role when it is NULL.
    role_client          TEXT,
    role_name            TEXT NOT NULL,
    access_sealed        TEXT,
    refresh_sealed       TEXT,
    token_type           TEXT,
    granted_scope        TEXT,
    expires_at           BIGINT,
    refresh_expires_at   BIGINT,
    -- When the tokens were last fetched or refreshed, and why the last attempt failed.
    refreshed_at         BIGINT,
    last_error           TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (realm_id, alias)
);
CREATE INDEX service_connections_expires ON service_connections(expires_at);
