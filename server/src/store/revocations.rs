//! `revoked_tokens`: access-token ids denied until they would have expired anyway.

use super::Executes;
use crate::on;

/// Denies `jti` until `expires_at`.
pub async fn revoke(
    c: &mut impl Executes,
    jti: &str,
    realm_id: &str,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO revoked_tokens (jti, realm_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (jti) DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(jti).bind(realm_id).bind(expires_at).bind(now).execute(e).await.map(|_| ()))
}

/// Whether `jti` has been revoked.
pub async fn is_revoked(c: &mut impl Executes, jti: &str) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(jti).fetch_one(e).await.map(|n| n > 0))
}

/// Forgets revocations of tokens that have expired by now.
pub async fn purge_expired(c: &mut impl Executes, now: i64) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now).execute(e).await.map(|r| r.rows_affected()))
}
