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

/// A remembered consent, with the client's id and name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub client_pk: String,
    pub client_id: String,
    pub client_name: String,
    pub scopes: String,
    pub granted_at: i64,
}

/// The consents `user_id` has given, by client id.
pub async fn of_user(c: &mut impl Executes, user_id: &str) -> sqlx::Result<Vec<ConsentRow>> {
    const SQL: &str = "SELECT co.client_pk, cl.client_id, cl.name AS client_name, co.scopes, co.granted_at \
                       FROM consents co JOIN clients cl ON cl.id = co.client_pk WHERE co.user_id = $1 \
                       ORDER BY cl.client_id";
    on!(c, e => sqlx::query_as(SQL).bind(user_id).fetch_all(e).await)
}

/// Forgets the consent `user_id` gave `client_pk`. Returns whether there was one.
pub async fn delete(c: &mut impl Executes, user_id: &str, client_pk: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM consents WHERE user_id = $1 AND client_pk = $2";
    on!(c, e => sqlx::query(SQL).bind(user_id).bind(client_pk).execute(e).await.map(|r| r.rows_affected() > 0))
}
