-- Device authorization grant (RFC 8628), SQLite dialect. Twin: ../postgres/0003_device_codes.sql.
-- Both codes are stored by hash; the user code is normalised (upper case, no dash) first.
CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code_hash   TEXT NOT NULL UNIQUE,
    realm_id         TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    client_pk        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    requester_ip     TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    poll_interval    BIGINT NOT NULL,
    last_poll_at     BIGINT,
    slowed           BOOLEAN NOT NULL DEFAULT FALSE,
    -- pending, approved, denied, consumed
    status           TEXT NOT NULL DEFAULT 'pending',
    user_id          TEXT REFERENCES users(id) ON DELETE CASCADE,
    session_id       TEXT,
    auth_time        BIGINT,
    decided_at       BIGINT
);
CREATE INDEX device_codes_expires ON device_codes(expires_at);
