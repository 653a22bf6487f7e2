//! `clients`, `client_secrets` and `client_scopes`.

use super::Executes;
use crate::on;

/// A client row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub realm_id: String,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub template: String,
    pub confidential: bool,
    pub enabled: bool,
    /// Space-separated grant type names.
    pub grant_types: String,
    /// JSON array of exact redirect URIs.
    pub redirect_uris: String,
    /// JSON array of exact post-logout redirect URIs.
    pub post_logout_redirect_uris: String,
    /// `None`: the realm's default.
    pub access_token_lifespan: Option<i64>,
    /// `None`: the realm's default; `Some(0)`: never expires.
    pub refresh_token_lifespan: Option<i64>,
    pub refresh_token_rotation: bool,
    pub refresh_reuse_window: i64,
    pub pkce_required: bool,
    pub consent_required: bool,
    pub id_token_alg: Option<String>,
    pub not_before: i64,
    pub created_by: String,
    pub updated_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Keycloak's "full scope allowed": user tokens carry all of the user's roles; off, only
    /// those in the client's role scope mappings and the client's own roles.
    pub full_scope_allowed: bool,
    /// A built-in client (`realm-management`): holds roles, gets no tokens, cannot be changed.
    pub builtin: bool,
    /// JSON array of the browser origins allowed to call with credentials (`+`: the redirect
    /// URIs' origins).
    pub web_origins: String,
}

const COLUMNS: &str = "id, realm_id, client_id, name, description, template, confidential, \
    enabled, grant_types, redirect_uris, post_logout_redirect_uris, access_token_lifespan, \
    refresh_token_lifespan, refresh_token_rotation, refresh_reuse_window, pkce_required, \
    consent_required, id_token_alg, not_before, created_by, updated_by, created_at, updated_at, \
    full_scope_allowed, builtin, web_origins";

/// Inserts a client.
pub async fn insert(c: &mut impl Executes, r: &ClientRow) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO clients ({COLUMNS}) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)"
    );
    on!(c, e => sqlx::query(&sql)
        .bind(&r.id).bind(&r.realm_id).bind(&r.client_id).bind(&r.name).bind(&r.description)
        .bind(&r.template).bind(r.confidential).bind(r.enabled).bind(&r.grant_types)
        .bind(&r.redirect_uris).bind(&r.post_logout_redirect_uris).bind(r.access_token_lifespan)
        .bind(r.refresh_token_lifespan).bind(r.refresh_token_rotation).bind(r.refresh_reuse_window)
        .bind(r.pkce_required).bind(r.consent_required).bind(&r.id_token_alg).bind(r.not_before)
        .bind(&r.created_by).bind(&r.updated_by).bind(r.created_at).bind(r.updated_at)
        .bind(r.full_scope_allowed).bind(r.builtin).bind(&r.web_origins).execute(e).await.map(|_| ()))
}

/// The client `client_id` of the realm `realm_id`.
pub async fn by_client_id(c: &mut impl Executes, realm_id: &str, client_id: &str) -> sqlx::Result<Option<ClientRow>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE realm_id = $1 AND client_id = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(client_id).fetch_optional(e).await)
}

/// The realm's clients, by client id.
pub async fn list(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<ClientRow>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE realm_id = $1 ORDER BY client_id");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// `%text%` for `LIKE … ESCAPE '\'`, matching `text` literally and case-insensitively.
pub fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// One page of the realm's own (not built-in) clients whose id or name contains `search`, by
/// client id, and how many match in all.
pub async fn search(
    c: &mut impl Executes,
    realm_id: &str,
    search: &str,
    offset: i64,
    limit: i64,
) -> sqlx::Result<(Vec<ClientRow>, i64)> {
    const MATCH: &str = "realm_id = $1 AND builtin = FALSE \
        AND (LOWER(client_id) LIKE $2 ESCAPE '\\' OR LOWER(name) LIKE $2 ESCAPE '\\')";
    let pattern = like_pattern(search);
    let page = format!("SELECT {COLUMNS} FROM clients WHERE {MATCH} ORDER BY client_id LIMIT $3 OFFSET $4");
    let count = format!("SELECT COUNT(*) FROM clients WHERE {MATCH}");
    on!(c, e => {
        let rows = sqlx::query_as(&page).bind(realm_id).bind(&pattern).bind(limit).bind(offset).fetch_all(&mut *e).await?;
        let total = sqlx::query_scalar::<_, i64>(&count).bind(realm_id).bind(&pattern).fetch_one(&mut *e).await?;
        Ok((rows, total))
    })
}

/// Every client of a realm with Web Origins: `(web origins, redirect URIs)`, both JSON arrays.
pub async fn web_origins_of_realm(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT web_origins, redirect_uris FROM clients WHERE realm_id = $1 AND enabled = TRUE \
                       AND web_origins <> '[]'";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).fetch_all(e).await)
}

/// Deletes a client (secrets, scopes and role assignments go with it).
pub async fn delete(c: &mut impl Executes, pk: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM clients WHERE id = $1").bind(pk).execute(e).await.map(|r| r.rows_affected()))
}

/// Writes a client's changeable settings (everything but its id, realm, template, type,
/// not-before and creation).
pub async fn update_settings(c: &mut impl Executes, r: &ClientRow) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE clients SET name = $2, description = $3, enabled = $4, grant_types = $5, \
        redirect_uris = $6, post_logout_redirect_uris = $7, access_token_lifespan = $8, \
        refresh_token_lifespan = $9, refresh_token_rotation = $10, refresh_reuse_window = $11, \
        pkce_required = $12, consent_required = $13, id_token_alg = $14, full_scope_allowed = $15, \
        updated_by = $16, updated_at = $17, web_origins = $18 WHERE id = $1";
    on!(c, e => sqlx::query(SQL)
        .bind(&r.id).bind(&r.name).bind(&r.description).bind(r.enabled).bind(&r.grant_types)
        .bind(&r.redirect_uris).bind(&r.post_logout_redirect_uris).bind(r.access_token_lifespan)
        .bind(r.refresh_token_lifespan).bind(r.refresh_token_rotation).bind(r.refresh_reuse_window)
        .bind(r.pkce_required).bind(r.consent_required).bind(&r.id_token_alg).bind(r.full_scope_allowed)
        .bind(&r.updated_by).bind(r.updated_at).bind(&r.web_origins)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Removes every scope of a client (before setting them anew).
pub async fn clear_scopes(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<()> {
    on!(c, e => sqlx::query("DELETE FROM client_scopes WHERE client_pk = $1").bind(client_pk).execute(e).await.map(|_| ()))
}

/// The ids of the realms that have no client `client_id`.
pub async fn realms_without(c: &mut impl Executes, client_id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT r.id FROM realms r WHERE NOT EXISTS \
                       (SELECT 1 FROM clients c WHERE c.realm_id = r.id AND c.client_id = $1)";
    on!(c, e => sqlx::query_scalar(SQL).bind(client_id).fetch_all(e).await)
}

/// Enables or disables a client.
pub async fn set_enabled(c: &mut impl Executes, pk: &str, enabled: bool, by: &str, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE clients SET enabled = $2, updated_by = $3, updated_at = $4 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(pk).bind(enabled).bind(by).bind(now).execute(e).await.map(|r| r.rows_affected()))
}

/// Sets the client's not-before time.
pub async fn set_not_before(c: &mut impl Executes, pk: &str, at: i64, by: &str, now: i64) -> sqlx::Result<u64> {
    const SQL: &str = "UPDATE clients SET not_before = $2, updated_by = $3, updated_at = $4 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(pk).bind(at).bind(by).bind(now).execute(e).await.map(|r| r.rows_affected()))
}

/// A stored client secret: only its argon2id hash.
#[derive(Clone, sqlx::FromRow)]
pub struct SecretRow {
    pub id: String,
    pub hash: String,
    pub created_at: i64,
    /// `None` for the current secret; the end of the grace period for a superseded one.
    pub expires_at: Option<i64>,
    /// The secret sealed with the master key, when its realm keeps secrets retrievable.
    pub sealed: Option<String>,
}

impl std::fmt::Debug for SecretRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRow").field("id", &self.id).field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// Stores a new secret hash.
pub async fn insert_secret(
    c: &mut impl Executes,
    client_pk: &str,
    id: &str,
    hash: &str,
    sealed: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    const SQL: &str =
        "INSERT INTO client_secrets (id, client_pk, hash, created_at, sealed) VALUES ($1, $2, $3, $4, $5)";
    on!(c, e => sqlx::query(SQL).bind(id).bind(client_pk).bind(hash).bind(now).bind(sealed).execute(e).await.map(|_| ()))
}

/// Marks every current secret as superseded, valid until `until`, and forgets expired ones.
pub async fn supersede_secrets(c: &mut impl Executes, client_pk: &str, until: i64, now: i64) -> sqlx::Result<()> {
    on!(c, e => {
        sqlx::query("DELETE FROM client_secrets WHERE client_pk = $1 AND expires_at IS NOT NULL AND expires_at <= $2")
            .bind(client_pk).bind(now).execute(&mut *e).await?;
        sqlx::query("UPDATE client_secrets SET expires_at = $2 WHERE client_pk = $1 AND expires_at IS NULL")
            .bind(client_pk).bind(until).execute(&mut *e).await.map(|_| ())
    })
}

/// The client's secrets that still verify at `now`.
pub async fn valid_secrets(c: &mut impl Executes, client_pk: &str, now: i64) -> sqlx::Result<Vec<SecretRow>> {
    const SQL: &str = "SELECT id, hash, created_at, expires_at, sealed FROM client_secrets \
                       WHERE client_pk = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at DESC";
    on!(c, e => sqlx::query_as(SQL).bind(client_pk).bind(now).fetch_all(e).await)
}

/// Takes a scope from a client; whether it had it.
pub async fn remove_scope(c: &mut impl Executes, client_pk: &str, scope_id: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM client_scopes WHERE client_pk = $1 AND scope_id = $2";
    on!(c, e => sqlx::query(SQL).bind(client_pk).bind(scope_id).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Allows a scope for a client (as a default scope when `is_default`).
pub async fn add_scope(c: &mut impl Executes, client_pk: &str, scope_id: &str, is_default: bool) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO client_scopes (client_pk, scope_id, is_default) VALUES ($1, $2, $3) \
                       ON CONFLICT (client_pk, scope_id) DO UPDATE SET is_default = excluded.is_default";
    on!(c, e => sqlx::query(SQL).bind(client_pk).bind(scope_id).bind(is_default).execute(e).await.map(|_| ()))
}

/// The client's allowed scopes: `(name, is_default)`.
pub async fn scopes(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<Vec<(String, bool)>> {
    const SQL: &str = "SELECT s.name, cs.is_default FROM client_scopes cs JOIN scopes s ON s.id = cs.scope_id \
                       WHERE cs.client_pk = $1 ORDER BY s.name";
    on!(c, e => sqlx::query_as(SQL).bind(client_pk).fetch_all(e).await)
}

/// The client with primary key `pk`.
pub async fn by_pk(c: &mut impl Executes, pk: &str) -> sqlx::Result<Option<ClientRow>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(pk).fetch_optional(e).await)
}
