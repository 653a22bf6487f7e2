//! `consents`: scopes a user has granted a client, remembered until revoked.

use super::Executes;
use crate::on;

/// The scopes `user_id` granted `client_pk`, space-separated.
pub async fn get(c: &mut impl Executes, user_id: &str, client_pk: &str) -> sqlx::Result<Option<String>> {
    const SQL: &str = "SELECT scopes FROM consents WHERE user_id = $1 AND client_pk = $2";
    on!(c, e => sqlx::query_scalar(SQL).bind(user_id).bind(client_pk).fetch_optional(e).await)
}

/// Records the granted scopes (replacing the previous set).
pub async fn put(c: &mut impl Executes, user_id: &str, client_pk: &str, scopes: &str, now: i64) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO consents (user_id, client_pk, scopes, granted_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (user_id, client_pk) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at";
    on!(c, e => sqlx::query(SQL).bind(user_id).bind(client_pk).bind(scopes).bind(now).execute(e).await.map(|_| ()))
}
