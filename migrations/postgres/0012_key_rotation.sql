-- Signing-key rotation. A new key is published (in the JWKS) before it signs: it signs from
-- `active_from`; the key it replaces keeps verifying until `retire_at`. Realm settings: rotate
-- automatically every `key_rotation_days` (0 = never) and publish a new key
-- `key_publish_delay` seconds before it signs. Twin in the other dialect's folder, same name.
ALTER TABLE signing_keys ADD COLUMN active_from BIGINT NOT NULL DEFAULT 0;
UPDATE signing_keys SET active_from = created_at;
ALTER TABLE realms ADD COLUMN key_rotation_days BIGINT NOT NULL DEFAULT 90;
ALTER TABLE realms ADD COLUMN key_publish_delay BIGINT NOT NULL DEFAULT 3600;
