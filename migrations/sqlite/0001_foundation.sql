-- Foundation schema (SQLite dialect). Timestamps are unix seconds, ids are text (UUIDs),
-- booleans are SQLite integers. The PostgreSQL twin lives in ../postgres with the same name.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE realms (
    id                         TEXT PRIMARY KEY,
    name                       TEXT NOT NULL UNIQUE,
    display_name               TEXT NOT NULL,
    enabled                    BOOLEAN NOT NULL DEFAULT TRUE,
    oauth_clients_enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    access_token_lifespan      BIGINT NOT NULL DEFAULT 300,
    refresh_token_lifespan     BIGINT NOT NULL DEFAULT 2592000,
    auth_code_lifespan         BIGINT NOT NULL DEFAULT 60,
    id_token_lifespan          BIGINT NOT NULL DEFAULT 300,
    device_code_lifespan       BIGINT NOT NULL DEFAULT 600,
    device_poll_interval       BIGINT NOT NULL DEFAULT 5,
    access_token_alg           TEXT NOT NULL DEFAULT 'ES256',
    id_token_alg               TEXT NOT NULL DEFAULT 'RS256',
    password_min_length        BIGINT NOT NULL DEFAULT 8,
    bruteforce_max_failures    BIGINT NOT NULL DEFAULT 5,
    bruteforce_lockout_seconds BIGINT NOT NULL DEFAULT 900,
    not_before                 BIGINT NOT NULL DEFAULT 0,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

CREATE TABLE clients (
    id                        TEXT PRIMARY KEY,
    realm_id                  TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_id                 TEXT NOT NULL,
    name                      TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    template                  TEXT NOT NULL,
    confidential              BOOLEAN NOT NULL,
    enabled                   BOOLEAN NOT NULL DEFAULT TRUE,
    grant_types               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    access_token_lifespan     BIGINT,
    refresh_token_lifespan    BIGINT,
    refresh_token_rotation    BOOLEAN NOT NULL DEFAULT TRUE,
    refresh_reuse_window      BIGINT NOT NULL DEFAULT 5,
    pkce_required             BOOLEAN NOT NULL,
    consent_required          BOOLEAN NOT NULL,
    id_token_alg              TEXT,
    not_before                BIGINT NOT NULL DEFAULT 0,
    created_by                TEXT NOT NULL,
    updated_by                TEXT NOT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    UNIQUE (realm_id, client_id)
);

CREATE TABLE client_secrets (
    id         TEXT PRIMARY KEY,
    client_pk  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX client_secrets_client ON client_secrets(client_pk);

CREATE TABLE scopes (
    id          TEXT PRIMARY KEY,
    realm_id    TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    UNIQUE (realm_id, name)
);

CREATE TABLE scope_implications (
    scope_id   TEXT NOT NULL REFERENCES scopes(id) ON DELETE CASCADE,
    implied_id TEXT NOT NULL REFERENCES scopes(id) ON DELETE CASCADE,
    PRIMARY KEY (scope_id, implied_id)
);

CREATE TABLE client_scopes (
    client_pk  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope_id   TEXT NOT NULL REFERENCES scopes(id) ON DELETE CASCADE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (client_pk, scope_id)
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    realm_id    TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_pk   TEXT REFERENCES clients(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_realm_name ON roles(realm_id, name) WHERE client_pk IS NULL;
CREATE UNIQUE INDEX roles_client_name ON roles(client_pk, name) WHERE client_pk IS NOT NULL;

CREATE TABLE service_account_roles (
    client_pk TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    role_id   TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (client_pk, role_id)
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    realm_id       TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    password_hash  TEXT,
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (realm_id, username)
);
CREATE UNIQUE INDEX users_realm_email ON users(realm_id, email) WHERE email IS NOT NULL;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE admins (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    superuser     BOOLEAN NOT NULL DEFAULT TRUE,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    realm_id        TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    alg             TEXT NOT NULL,
    status          TEXT NOT NULL,
    private_key_enc BLOB NOT NULL,
    public_jwk      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    retire_at       BIGINT
);
CREATE INDEX signing_keys_realm ON signing_keys(realm_id);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    realm_id   TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    realm_id  TEXT,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    client_id TEXT,
    subject   TEXT,
    ip        TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_realm_at ON audit_events(realm_id, at);

CREATE TABLE token_stats (
    realm_id   TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    grant_type TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    issued     BIGINT NOT NULL,
    PRIMARY KEY (realm_id, client_id, grant_type, minute)
);

CREATE TABLE changes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    realm_id TEXT NOT NULL,
    entity   TEXT NOT NULL,
    key      TEXT NOT NULL,
    at       BIGINT NOT NULL
);
