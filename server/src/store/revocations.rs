//! `revoked_tokens`: access-token ids denied until they would have expired anyway.

use super::Executes;
use crate::on;

/// Denies `jti` until `expires_at`.
pub async fn revoke(c: &mut impl Executes, jti: &str, realm_id: &str, expires_at: i64, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO revoked_tokens (jti, realm_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (jti) DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(jti).bind(realm_id).bind(expires_at).bind(now).execute(e).await.map(|_| ()))
}

/// Whether any of `keys` has been revoked: a token's `jti`, and the markers of the family
/// (`family:ID`) and SSO session (`session:ID`) it belongs to. Unused slots may be empty.
pub async fn any_revoked(c: &mut impl Executes, keys: [&str; 3]) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM revoked_tokens WHERE jti IN ($1, $2, $3)";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(keys[0]).bind(keys[1]).bind(keys[2])
        .fetch_one(e).await.map(|n| n > 0))
}

/// The marker that revokes every access token of a refresh family.
pub fn family_marker(family_id: &str) -> String {
    format!("family:{family_id}")
}

/// The marker that revokes every access token of an SSO session.
pub fn session_marker(session_id: &str) -> String {
    format!("session:{session_id}")
}
