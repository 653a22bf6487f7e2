-- End-user sign-in (SQLite dialect): SSO sessions, authorization codes, refresh tokens,
-- remembered consents and brute-force counters. Twin: ../postgres/0002_end_user_sign_in.sql.

-- An SSO session: a user signed in at a browser (or through the password grant).
CREATE TABLE user_sessions (
    id           TEXT PRIMARY KEY,
    realm_id     TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at     BIGINT,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX user_sessions_user ON user_sessions(user_id);

-- Authorization codes, stored by hash. `used_at` and `family_id` are set by the one atomic
-- redemption; a second redemption finds them set and revokes that family.
CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    realm_id       TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_pk      TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    family_id      TEXT
);
CREATE INDEX auth_codes_expires ON auth_codes(expires_at);

-- Refresh tokens, stored by hash, in families (one per grant). Rotation marks a row rotated and
-- names its successor; reuse of a rotated token outside the reuse window revokes the family.
CREATE TABLE refresh_tokens (
    token_hash     TEXT PRIMARY KEY,
    family_id      TEXT NOT NULL,
    realm_id       TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_pk      TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    offline        BOOLEAN NOT NULL DEFAULT FALSE,
    issued_at      BIGINT NOT NULL,
    expires_at     BIGINT,
    rotated_at     BIGINT,
    successor_hash TEXT,
    revoked_at     BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens(client_pk);

-- Consent remembered per user and client until revoked.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_pk  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_pk)
);

-- Failed sign-ins per account and per client IP: growing delay, then temporary lockout.
CREATE TABLE login_failures (
    realm_id     TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (realm_id, subject)
);
