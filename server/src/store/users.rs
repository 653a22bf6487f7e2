//! `users`: the realm's end users.

use super::Executes;
use crate::on;

/// A realm user.
#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub realm_id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, realm_id, username, email, email_verified, first_name, last_name, \
    password_hash, enabled, created_at, updated_at";

/// Inserts a user.
pub async fn insert(c: &mut impl Executes, u: &UserRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO users ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)");
    on!(c, e => sqlx::query(&sql)
        .bind(&u.id).bind(&u.realm_id).bind(&u.username).bind(&u.email).bind(u.email_verified)
        .bind(&u.first_name).bind(&u.last_name).bind(&u.password_hash).bind(u.enabled)
        .bind(u.created_at).bind(u.updated_at)
        .execute(e).await.map(|_| ()))
}

/// The user `username` of a realm.
pub async fn by_username(c: &mut impl Executes, realm_id: &str, username: &str) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE realm_id = $1 AND username = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(username).fetch_optional(e).await)
}

/// The user with id `id`.
pub async fn by_id(c: &mut impl Executes, id: &str) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_optional(e).await)
}
