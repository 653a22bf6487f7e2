//! `admins`: accounts of the admin console.

use super::Executes;
use crate::on;

/// An admin console account.
#[derive(Clone, sqlx::FromRow)]
pub struct AdminRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub superuser: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for AdminRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminRow").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, username, password_hash, superuser, enabled, created_at, updated_at";

/// Inserts an admin.
pub async fn insert(c: &mut impl Executes, a: &AdminRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO admins ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7)");
    on!(c, e => sqlx::query(&sql)
        .bind(&a.id).bind(&a.username).bind(&a.password_hash).bind(a.superuser).bind(a.enabled)
        .bind(a.created_at).bind(a.updated_at)
        .execute(e).await.map(|_| ()))
}

/// The admin named `username`.
pub async fn by_username(c: &mut impl Executes, username: &str) -> sqlx::Result<Option<AdminRow>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE username = $1");
    on!(c, e => sqlx::query_as(&sql).bind(username).fetch_optional(e).await)
}

/// The admin with id `id`.
pub async fn by_id(c: &mut impl Executes, id: &str) -> sqlx::Result<Option<AdminRow>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_optional(e).await)
}

/// The admins who have no user of the same name in the realm `realm_id`.
pub async fn without_user_in(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<AdminRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM admins a WHERE NOT EXISTS \
         (SELECT 1 FROM users u WHERE u.realm_id = $1 AND u.username = a.username) ORDER BY username"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Every admin, by username.
pub async fn all(c: &mut impl Executes) -> sqlx::Result<Vec<AdminRow>> {
    let sql = format!("SELECT {COLUMNS} FROM admins ORDER BY username");
    on!(c, e => sqlx::query_as(&sql).fetch_all(e).await)
}
