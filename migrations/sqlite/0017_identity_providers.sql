-- Upstream providers (issue 12, PRODUCT §10): identity providers users sign in through, the links
-- between local users and upstream accounts, and the upstream tokens kept for apps (the token
-- vault). Secrets and tokens are sealed under the master key (AES-256-GCM, bound to their row).
-- Twin in the other dialect's folder, same name.
CREATE TABLE identity_providers (
    id                   TEXT PRIMARY KEY,
    realm_id             TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    alias                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    -- `oidc` (discovery, ID token checked) or `oauth2` (manual endpoints, userinfo only).
    kind                 TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    discovery_url        TEXT,
    issuer               TEXT,
    authorization_url    TEXT NOT NULL,
    token_url            TEXT NOT NULL,
    userinfo_url         TEXT,
    jwks_url             TEXT,
    client_id            TEXT NOT NULL,
    client_secret_sealed TEXT,
    -- `client_secret_basic` or `client_secret_post`.
    client_auth_method   TEXT NOT NULL DEFAULT 'client_secret_basic',
    scopes               TEXT NOT NULL DEFAULT 'openid profile email',
    pkce                 BOOLEAN NOT NULL DEFAULT TRUE,
    username_claim       TEXT NOT NULL DEFAULT 'preferred_username',
    email_claim          TEXT NOT NULL DEFAULT 'email',
    name_claim           TEXT NOT NULL DEFAULT 'name',
    store_tokens         BOOLEAN NOT NULL DEFAULT FALSE,
    -- Link a first sign-in to the local user with the same verified email.
    trust_email          BOOLEAN NOT NULL DEFAULT FALSE,
    gui_order            BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (realm_id, alias)
);

-- A local user's upstream account: at most one per provider, and one user per upstream subject.
CREATE TABLE federated_identities (
    provider_pk TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username    TEXT NOT NULL,
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (provider_pk, subject),
    UNIQUE (user_id, provider_pk)
);

-- The token vault: the user's current upstream tokens, refreshed before they expire.
CREATE TABLE broker_tokens (
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider_pk        TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    access_sealed      TEXT NOT NULL,
    refresh_sealed     TEXT,
    token_type         TEXT NOT NULL DEFAULT 'Bearer',
    scope              TEXT,
    expires_at         BIGINT,
    refresh_expires_at BIGINT,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (user_id, provider_pk)
);
CREATE INDEX broker_tokens_expires ON broker_tokens(expires_at);
