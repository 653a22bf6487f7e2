//! `auth_codes`: authorization codes by hash, redeemed atomically.

use super::Executes;
use crate::on;

/// An authorization code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthCodeRow {
    pub code_hash: String,
    pub realm_id: String,
    pub client_pk: String,
    pub user_id: String,
    pub session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
}

const COLUMNS: &str = "code_hash, realm_id, client_pk, user_id, session_id, redirect_uri, scope, \
    nonce, code_challenge, auth_time, created_at, expires_at, used_at, family_id";

/// Stores a new code.
pub async fn insert(c: &mut impl Executes, r: &AuthCodeRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO auth_codes ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)");
    on!(c, e => sqlx::query(&sql)
        .bind(&r.code_hash).bind(&r.realm_id).bind(&r.client_pk).bind(&r.user_id).bind(&r.session_id)
        .bind(&r.redirect_uri).bind(&r.scope).bind(&r.nonce).bind(&r.code_challenge).bind(r.auth_time)
        .bind(r.created_at).bind(r.expires_at).bind(r.used_at).bind(&r.family_id)
        .execute(e).await.map(|_| ()))
}

/// Marks the code used and names the family its redemption starts, in one statement: of two
/// racing redemptions exactly one gets the row.
pub async fn redeem(
    c: &mut impl Executes,
    code_hash: &str,
    family_id: &str,
    now: i64,
) -> sqlx::Result<Option<AuthCodeRow>> {
    let sql = format!(
        "UPDATE auth_codes SET used_at = $2, family_id = $3 WHERE code_hash = $1 AND used_at IS NULL RETURNING {COLUMNS}"
    );
    on!(c, e => sqlx::query_as(&sql).bind(code_hash).bind(now).bind(family_id).fetch_optional(e).await)
}

/// The code, used or not (to recognise a replay).
pub async fn get(c: &mut impl Executes, code_hash: &str) -> sqlx::Result<Option<AuthCodeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM auth_codes WHERE code_hash = $1");
    on!(c, e => sqlx::query_as(&sql).bind(code_hash).fetch_optional(e).await)
}
