//! `scopes` and `scope_implications`.

use super::Executes;
use crate::on;

/// A realm scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopeRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// What a new client gets of it: `default`, `optional`, or nothing.
    pub new_clients: Option<String>,
}

/// Creates the scope if the realm lacks it; returns its id either way.
pub async fn ensure(
    c: &mut impl Executes,
    realm_id: &str,
    name: &str,
    description: &str,
    builtin: bool,
    now: i64,
) -> sqlx::Result<String> {
    const INSERT: &str = "INSERT INTO scopes (id, realm_id, name, description, builtin, created_at) \
                          VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    const SELECT: &str = "SELECT id FROM scopes WHERE realm_id = $1 AND name = $2";
    on!(c, e => {
        sqlx::query(INSERT).bind(super::new_id()).bind(realm_id).bind(name).bind(description)
            .bind(builtin).bind(now).execute(&mut *e).await?;
        sqlx::query_scalar(SELECT).bind(realm_id).bind(name).fetch_one(&mut *e).await
    })
}

const COLUMNS: &str = "id, name, description, builtin, new_clients";

/// The realm's scopes, by name.
pub async fn list(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<ScopeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM scopes WHERE realm_id = $1 ORDER BY name");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Records that holding `scope_id` also grants `implied_id`.
pub async fn add_implication(c: &mut impl Executes, scope_id: &str, implied_id: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO scope_implications (scope_id, implied_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(scope_id).bind(implied_id).execute(e).await.map(|_| ()))
}

/// Replaces what holding `scope_id` also grants.
pub async fn set_implications(c: &mut impl Executes, scope_id: &str, implied_ids: &[String]) -> sqlx::Result<()> {
    on!(c, e => {
        sqlx::query("DELETE FROM scope_implications WHERE scope_id = $1").bind(scope_id).execute(&mut *e).await?;
        for implied in implied_ids {
            sqlx::query("INSERT INTO scope_implications (scope_id, implied_id) VALUES ($1, $2)")
                .bind(scope_id).bind(implied).execute(&mut *e).await?;
        }
        Ok(())
    })
}

/// Sets what a new client gets of a scope: `default`, `optional` or nothing.
pub async fn set_new_clients(c: &mut impl Executes, id: &str, new_clients: Option<&str>) -> sqlx::Result<()> {
    on!(c, e => sqlx::query("UPDATE scopes SET new_clients = $2 WHERE id = $1").bind(id).bind(new_clients)
        .execute(e).await.map(|_| ()))
}

/// The realm's explicit implications as `(scope, implied scope)` names.
pub async fn implications(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT s.name, i.name FROM scope_implications si \
                       JOIN scopes s ON s.id = si.scope_id JOIN scopes i ON i.id = si.implied_id \
                       WHERE s.realm_id = $1";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).fetch_all(e).await)
}

/// Creates a scope; `false` when the realm has one of that name.
pub async fn create(
    c: &mut impl Executes,
    realm_id: &str,
    id: &str,
    name: &str,
    description: &str,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO scopes (id, realm_id, name, description, builtin, created_at) \
                       VALUES ($1, $2, $3, $4, FALSE, $5) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(id).bind(realm_id).bind(name).bind(description).bind(now)
        .execute(e).await.map(|r| r.rows_affected() > 0))
}

/// The realm's scope with id `id`.
pub async fn by_id(c: &mut impl Executes, realm_id: &str, id: &str) -> sqlx::Result<Option<ScopeRow>> {
    let sql = format!("SELECT {COLUMNS} FROM scopes WHERE realm_id = $1 AND id = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(id).fetch_optional(e).await)
}

/// Changes a scope's description (shown on the consent page).
pub async fn set_description(c: &mut impl Executes, id: &str, description: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("UPDATE scopes SET description = $2 WHERE id = $1").bind(id).bind(description)
        .execute(e).await.map(|r| r.rows_affected()))
}

/// Deletes a scope (clients' links to it go with it).
pub async fn delete(c: &mut impl Executes, id: &str) -> sqlx::Result<u64> {
    on!(c, e => sqlx::query("DELETE FROM scopes WHERE id = $1").bind(id).execute(e).await.map(|r| r.rows_affected()))
}

/// The clients linked to a scope (their cached views must be dropped when it changes).
pub async fn clients_of(c: &mut impl Executes, id: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str =
        "SELECT cl.client_id FROM client_scopes cs JOIN clients cl ON cl.id = cs.client_pk WHERE cs.scope_id = $1";
    on!(c, e => sqlx::query_scalar(SQL).bind(id).fetch_all(e).await)
}
