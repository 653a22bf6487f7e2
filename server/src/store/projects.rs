//! `projects` and `client_projects`: a realm's projects and which clients may ask for tokens
//! scoped to them.

use super::Executes;
use crate::on;

/// A project.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

/// Creates a project; `false` when the realm has one with that id.
pub async fn insert(c: &mut impl Executes, realm_id: &str, p: &ProjectRow, by: &str) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO projects (realm_id, id, name, description, created_by, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(&p.id).bind(&p.name).bind(&p.description).bind(by)
        .bind(p.created_at).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// The realm's projects, by name.
pub async fn list(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<ProjectRow>> {
    const SQL: &str = "SELECT id, name, description, created_at FROM projects WHERE realm_id = $1 ORDER BY name, id";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).fetch_all(e).await)
}

/// The ids of the projects a client has access to.
pub async fn of_client(c: &mut impl Executes, client_pk: &str) -> sqlx::Result<Vec<String>> {
    const SQL: &str = "SELECT project_id FROM client_projects WHERE client_pk = $1 ORDER BY project_id";
    on!(c, e => sqlx::query_scalar(SQL).bind(client_pk).fetch_all(e).await)
}

/// Which clients may use which project, in the realm: `(project id, client id)`, by project.
pub async fn access_of_realm(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT p.project_id, c.client_id FROM client_projects p JOIN clients c ON c.id = p.client_pk \
                       WHERE p.realm_id = $1 ORDER BY p.project_id, c.client_id";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).fetch_all(e).await)
}

/// Replaces the client's project access.
pub async fn set_for_client(
    c: &mut impl Executes,
    client_pk: &str,
    realm_id: &str,
    ids: &[String],
) -> sqlx::Result<()> {
    on!(c, e => {
        sqlx::query("DELETE FROM client_projects WHERE client_pk = $1").bind(client_pk).execute(&mut *e).await?;
        for id in ids {
            sqlx::query("INSERT INTO client_projects (client_pk, realm_id, project_id) VALUES ($1, $2, $3)")
                .bind(client_pk).bind(realm_id).bind(id).execute(&mut *e).await?;
        }
        Ok(())
    })
}

/// The realm's project `id`.
pub async fn get(c: &mut impl Executes, realm_id: &str, id: &str) -> sqlx::Result<Option<ProjectRow>> {
    const SQL: &str = "SELECT id, name, description, created_at FROM projects WHERE realm_id = $1 AND id = $2";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(id).fetch_optional(e).await)
}

/// Renames a project and changes its description.
pub async fn update(c: &mut impl Executes, realm_id: &str, p: &ProjectRow) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE projects SET name = $3, description = $4 WHERE realm_id = $1 AND id = $2";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(&p.id).bind(&p.name).bind(&p.description)
        .execute(e).await.map(|_| ()))
}

/// Deletes a project; clients' and API keys' access to it goes with it.
pub async fn delete(c: &mut impl Executes, realm_id: &str, id: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM projects WHERE realm_id = $1 AND id = $2";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(id).execute(e).await.map(|_| ()))
}
