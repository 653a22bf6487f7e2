//! `service_connections`: the realm's own connections to third-party APIs, with their sealed
//! client secret and current tokens.

use super::Executes;
use crate::on;

/// A stored connection (secret and tokens sealed, never in the clear).
#[derive(Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub realm_id: String,
    pub alias: String,
    pub display_name: String,
    /// `client_credentials` or `authorization_code`.
    pub grant_type: String,
    pub token_url: String,
    pub authorization_url: Option<String>,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    pub client_auth_method: String,
    /// Space-separated, as sent upstream.
    pub scopes: String,
    /// The client (by `client_id`) whose role a service needs; `None`: a realm role.
    pub role_client: Option<String>,
    pub role_name: String,
    #[sqlx(flatten)]
    pub tokens: ConnectionTokens,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A connection's current upstream tokens, sealed; all `None` until it is connected.
#[derive(Clone, Default, sqlx::FromRow)]
pub struct ConnectionTokens {
    pub access_sealed: Option<String>,
    pub refresh_sealed: Option<String>,
    pub token_type: Option<String>,
    pub granted_scope: Option<String>,
    pub expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub refreshed_at: Option<i64>,
}

impl std::fmt::Debug for ConnectionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRow")
            .field("alias", &self.alias)
            .field("grant_type", &self.grant_type)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, realm_id, alias, display_name, grant_type, token_url, authorization_url, client_id, \
                       client_secret_sealed, client_auth_method, scopes, role_client, role_name, access_sealed, \
                       refresh_sealed, token_type, granted_scope, expires_at, refresh_expires_at, refreshed_at, \
                       last_error, created_at, updated_at";

/// Inserts a connection (settings only, not yet connected); `false` when the realm already has
/// one with its alias.
pub async fn insert(c: &mut impl Executes, r: &ConnectionRow) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO service_connections (id, realm_id, alias, display_name, grant_type, token_url, \
                       authorization_url, client_id, client_secret_sealed, client_auth_method, scopes, role_client, \
                       role_name, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) \
                       ON CONFLICT (realm_id, alias) DO NOTHING";
    on!(c, e => sqlx::query(SQL)
        .bind(&r.id).bind(&r.realm_id).bind(&r.alias).bind(&r.display_name).bind(&r.grant_type)
        .bind(&r.token_url).bind(&r.authorization_url).bind(&r.client_id).bind(&r.client_secret_sealed)
        .bind(&r.client_auth_method).bind(&r.scopes).bind(&r.role_client).bind(&r.role_name)
        .bind(r.created_at).bind(r.updated_at)
        .execute(e).await.map(|r| r.rows_affected() == 1))
}

/// Writes a connection's settings (found by id; the alias and role stay).
pub async fn update(c: &mut impl Executes, r: &ConnectionRow) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE service_connections SET display_name = $2, grant_type = $3, token_url = $4, \
                       authorization_url = $5, client_id = $6, client_secret_sealed = $7, client_auth_method = $8, \
                       scopes = $9, updated_at = $10 WHERE id = $1";
    on!(c, e => sqlx::query(SQL)
        .bind(&r.id).bind(&r.display_name).bind(&r.grant_type).bind(&r.token_url).bind(&r.authorization_url)
        .bind(&r.client_id).bind(&r.client_secret_sealed).bind(&r.client_auth_method).bind(&r.scopes)
        .bind(r.updated_at)
        .execute(e).await.map(|_| ()))
}

/// Stores a connection's new tokens and clears its last error.
pub async fn put_tokens(c: &mut impl Executes, id: &str, t: &ConnectionTokens) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE service_connections SET access_sealed = $2, refresh_sealed = $3, token_type = $4, \
                       granted_scope = $5, expires_at = $6, refresh_expires_at = $7, refreshed_at = $8, \
                       last_error = NULL WHERE id = $1";
    on!(c, e => sqlx::query(SQL)
        .bind(id).bind(&t.access_sealed).bind(&t.refresh_sealed).bind(&t.token_type).bind(&t.granted_scope)
        .bind(t.expires_at).bind(t.refresh_expires_at).bind(t.refreshed_at)
        .execute(e).await.map(|_| ()))
}

/// Records why the last fetch or refresh failed (the stored tokens stay).
pub async fn set_error(c: &mut impl Executes, id: &str, error: &str) -> sqlx::Result<()> {
    on!(c, e => sqlx::query("UPDATE service_connections SET last_error = $2 WHERE id = $1")
        .bind(id).bind(error).execute(e).await.map(|_| ()))
}

/// The realm's connection called `alias`.
pub async fn by_alias(c: &mut impl Executes, realm_id: &str, alias: &str) -> sqlx::Result<Option<ConnectionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM service_connections WHERE realm_id = $1 AND alias = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(alias).fetch_optional(e).await)
}

/// The realm's connections by alias.
pub async fn list(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<ConnectionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM service_connections WHERE realm_id = $1 ORDER BY alias");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Deletes a connection; `false` when there was none.
pub async fn delete(c: &mut impl Executes, id: &str) -> sqlx::Result<bool> {
    on!(c, e => sqlx::query("DELETE FROM service_connections WHERE id = $1").bind(id).execute(e).await
        .map(|r| r.rows_affected() == 1))
}

/// Up to `limit` connected connections whose access token expires before `before` and that can
/// get a new one (a refresh token, or the client credentials grant), soonest first.
pub async fn due_for_refresh(c: &mut impl Executes, before: i64, limit: i64) -> sqlx::Result<Vec<ConnectionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM service_connections WHERE expires_at < $1 AND access_sealed IS NOT NULL \
         AND (refresh_sealed IS NOT NULL OR grant_type = 'client_credentials') ORDER BY expires_at LIMIT $2"
    );
    on!(c, e => sqlx::query_as(&sql).bind(before).bind(limit).fetch_all(e).await)
}
