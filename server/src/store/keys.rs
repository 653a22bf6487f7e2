//! `signing_keys`: each realm's key pairs, private parts sealed with the master key.

use super::Executes;
use crate::on;

/// A stored signing key.
#[derive(Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub realm_id: String,
    pub alg: String,
    /// `active` (signs and is published), `passive` (published, verifies only), `retired`.
    pub status: String,
    pub private_key_enc: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retire_at: Option<i64>,
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

const COLUMNS: &str = "kid, realm_id, alg, status, private_key_enc, public_jwk, created_at, retire_at";

/// Inserts a key.
pub async fn insert(c: &mut impl Executes, k: &KeyRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO signing_keys ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)");
    on!(c, e => sqlx::query(&sql)
        .bind(&k.kid).bind(&k.realm_id).bind(&k.alg).bind(&k.status).bind(&k.private_key_enc)
        .bind(&k.public_jwk).bind(k.created_at).bind(k.retire_at)
        .execute(e).await.map(|_| ()))
}

/// The realm's keys that are not retired, newest first.
pub async fn published(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<KeyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE realm_id = $1 AND status <> 'retired' ORDER BY created_at DESC, kid"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}
