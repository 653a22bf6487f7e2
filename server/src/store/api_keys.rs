//! `api_keys`, `api_key_roles`, `api_key_projects`: long-lived keys, their roles and projects.

use super::{roles::GrantedRole, Executes};
use crate::on;

/// A stored API key (its hash, never the key).
#[derive(Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub realm_id: String,
    pub name: String,
    pub secret_hash: String,
    pub created_by: String,
    pub owner: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for ApiKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRow").field("id", &self.id).field("name", &self.name).finish_non_exhaustive()
    }
}

impl ApiKeyRow {
    /// Whether the key works at `now`: not revoked and not expired.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| now < t)
    }
}

const COLUMNS: &str =
    "id, realm_id, name, secret_hash, created_by, owner, created_at, expires_at, last_used_at, revoked_at";

/// Inserts a key with its roles and projects.
pub async fn insert(
    c: &mut impl Executes,
    k: &ApiKeyRow,
    role_ids: &[String],
    projects: &[String],
) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO api_keys ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)");
    on!(c, e => {
        sqlx::query(&sql)
            .bind(&k.id).bind(&k.realm_id).bind(&k.name).bind(&k.secret_hash).bind(&k.created_by).bind(&k.owner)
            .bind(k.created_at).bind(k.expires_at).bind(k.last_used_at).bind(k.revoked_at)
            .execute(&mut *e).await?;
        for role in role_ids {
            sqlx::query("INSERT INTO api_key_roles (api_key_id, role_id) VALUES ($1, $2)")
                .bind(&k.id).bind(role).execute(&mut *e).await?;
        }
        for project in projects {
            sqlx::query("INSERT INTO api_key_projects (api_key_id, realm_id, project_id) VALUES ($1, $2, $3)")
                .bind(&k.id).bind(&k.realm_id).bind(project).execute(&mut *e).await?;
        }
        Ok(())
    })
}

/// The key `id`.
pub async fn get(c: &mut impl Executes, id: &str) -> sqlx::Result<Option<ApiKeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_optional(e).await)
}

/// The realm's keys (only `owner`'s when given), newest first, from `first`, at most `max`.
pub async fn list(
    c: &mut impl Executes,
    realm_id: &str,
    owner: Option<&str>,
    first: i64,
    max: i64,
) -> sqlx::Result<Vec<ApiKeyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE realm_id = $1 AND (CAST($2 AS TEXT) IS NULL OR owner = $2) \
         ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(owner).bind(max).bind(first).fetch_all(e).await)
}

/// The roles a key holds, composites expanded (what its permissions come from).
pub async fn roles_expanded(c: &mut impl Executes, id: &str) -> sqlx::Result<Vec<GrantedRole>> {
    let sql = super::roles::expanded("SELECT role_id FROM api_key_roles WHERE api_key_id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_all(e).await)
}

/// The roles a key was given (not expanded), as `(client id of the owner or None, name)`.
pub async fn roles(c: &mut impl Executes, id: &str) -> sqlx::Result<Vec<GrantedRole>> {
    const SQL: &str = "SELECT oc.client_id AS client_id, r.name AS name FROM api_key_roles k \
                       JOIN roles r ON r.id = k.role_id LEFT JOIN clients oc ON oc.id = r.client_pk \
                       WHERE k.api_key_id = $1 ORDER BY oc.client_id, r.name";
    on!(c, e => sqlx::query_as(SQL).bind(id).fetch_all(e).await)
}

/// The ids of the projects a key is limited to (none: not limited).
pub async fn projects(c: &mut impl Executes, id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT project_id FROM api_key_projects WHERE api_key_id = $1 ORDER BY project_id";
    on!(c, e => sqlx::query_scalar(SQL).bind(id).fetch_all(e).await)
}

/// Renames a key and sets its expiry.
pub async fn update(c: &mut impl Executes, id: &str, name: &str, expires_at: Option<i64>) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE api_keys SET name = $2, expires_at = $3 WHERE id = $1";
    on!(c, e => sqlx::query(SQL).bind(id).bind(name).bind(expires_at).execute(e).await.map(|_| ()))
}

/// Revokes a key; `false` when it was revoked already.
pub async fn revoke(c: &mut impl Executes, id: &str, now: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
    on!(c, e => sqlx::query(SQL).bind(id).bind(now).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Records a use, at most once a minute per key (a use is a read, not worth a write each time).
pub async fn touch(c: &mut impl Executes, id: &str, now: i64) -> sqlx::Result<()> {
    const SQL: &str =
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
    on!(c, e => sqlx::query(SQL).bind(id).bind(now).bind(now - 60).execute(e).await.map(|_| ()))
}
