//! `signing_keys`: each realm's key pairs, private parts sealed with the master key.

use super::Executes;
use crate::on;

/// A stored signing key.
#[derive(Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub realm_id: String,
    pub alg: String,
    /// `active` (published; the newest of its algorithm whose `active_from` has come signs),
    /// `passive` (published, verifies only), `retired` (gone from the JWKS).
    pub status: String,
    pub private_key_enc: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    /// Set once a newer key replaces it: it leaves the JWKS (by the janitor) after this time.
    pub retire_at: Option<i64>,
    /// When the key starts signing (before then it is only published).
    pub active_from: i64,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "kid, realm_id, alg, status, private_key_enc, public_jwk, created_at, retire_at, active_from";

/// Inserts a key.
pub async fn insert(c: &mut impl Executes, k: &KeyRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO signing_keys ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)");
    on!(c, e => sqlx::query(&sql)
        .bind(&k.kid).bind(&k.realm_id).bind(&k.alg).bind(&k.status).bind(&k.private_key_enc)
        .bind(&k.public_jwk).bind(k.created_at).bind(k.retire_at).bind(k.active_from)
        .execute(e).await.map(|_| ()))
}

/// The realm's keys that are not retired, newest first.
pub async fn published(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<KeyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE realm_id = $1 AND status <> 'retired' ORDER BY created_at DESC, kid"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Every key of the realm, retired ones included, newest first.
pub async fn all(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<KeyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE realm_id = $1 ORDER BY active_from DESC, created_at DESC, kid"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Marks the `alg` keys of the realm that are not yet replaced to leave the JWKS at
/// `retire_at`. With `created_before`, only when no key of `alg` was created after it (the
/// automatic rotation's condition: run as a transaction's first write, a second instance
/// racing for the same rotation finds nothing to mark). Returns how many keys were marked.
pub async fn supersede(
    c: &mut impl Executes,
    realm_id: &str,
    alg: &str,
    retire_at: i64,
    created_before: Option<i64>,
) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE signing_keys SET retire_at = $3 \
        WHERE realm_id = $1 AND alg = $2 AND status = 'active' AND retire_at IS NULL \
        AND ($4 IS NULL OR NOT EXISTS (SELECT 1 FROM signing_keys n \
            WHERE n.realm_id = $1 AND n.alg = $2 AND n.status <> 'retired' AND n.created_at > $4))";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(alg).bind(retire_at).bind(created_before)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Retires the keys whose `retire_at` has passed; returns them as `(realm id, kid)`.
pub async fn retire_due(c: &mut impl Executes, now: i64) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str = "UPDATE signing_keys SET status = 'retired' \
        WHERE status <> 'retired' AND retire_at IS NOT NULL AND retire_at <= $1 RETURNING realm_id, kid";
    let mut retired: Vec<(String, String)> = on!(c, e => sqlx::query_as(SQL).bind(now).fetch_all(e).await)?;
    retired.sort();
    Ok(retired)
}

/// A realm's rotation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct RotationSettings {
    /// Rotate automatically when the newest key of an algorithm is this many days old; 0 = never.
    pub key_rotation_days: i64,
    /// A new key is published this many seconds before it signs.
    pub key_publish_delay: i64,
}

/// The realm's rotation settings.
pub async fn settings(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Option<RotationSettings>> {
    const SQL: &str = "SELECT key_rotation_days, key_publish_delay FROM realms WHERE id = $1";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).fetch_optional(e).await)
}

/// Writes the realm's rotation settings.
pub async fn set_settings(c: &mut impl Executes, realm_id: &str, s: RotationSettings, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE realms SET key_rotation_days = $2, key_publish_delay = $3, updated_at = $4 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(s.key_rotation_days).bind(s.key_publish_delay).bind(now)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Realms with automatic rotation on, with their rotation period in days.
pub async fn rotating_realms(c: &mut impl Executes) -> sqlx::Result<Vec<(String, String, i64)>> {
    const SQL: &str = "SELECT id, name, key_rotation_days FROM realms WHERE key_rotation_days > 0 ORDER BY name";
    on!(c, e => sqlx::query_as(SQL).fetch_all(e).await)
}

/// The algorithms of the realm whose newest (not retired) key was created at or before `before`.
pub async fn stale_algs(c: &mut impl Executes, realm_id: &str, before: i64) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT alg FROM signing_keys WHERE realm_id = $1 AND status <> 'retired' \
        GROUP BY alg HAVING MAX(created_at) <= $2 ORDER BY alg";
    on!(c, e => sqlx::query_scalar(SQL).bind(realm_id).bind(before).fetch_all(e).await)
}

/// The longest access-token lifespan any client of the realm overrides with (0 when none).
pub async fn longest_client_lifespan(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT MAX(access_token_lifespan) FROM clients WHERE realm_id = $1";
    on!(c, e => sqlx::query_scalar::<_, Option<i64>>(SQL).bind(realm_id).fetch_one(e).await.map(|v| v.unwrap_or(0)))
}
