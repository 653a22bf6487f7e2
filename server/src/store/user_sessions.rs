//! `user_sessions`: SSO sessions of realm users.

use super::Executes;
use crate::on;

/// An SSO session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSessionRow {
    pub id: String,
    pub realm_id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLUMNS: &str = "id, realm_id, user_id, auth_time, created_at, last_seen_at, ended_at, ip, user_agent";

/// Starts a session.
pub async fn insert(c: &mut impl Executes, s: &UserSessionRow) -> sqlx::Result<()> {
    let sql = format!("INSERT INTO user_sessions ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)");
    on!(c, e => sqlx::query(&sql)
        .bind(&s.id).bind(&s.realm_id).bind(&s.user_id).bind(s.auth_time).bind(s.created_at)
        .bind(s.last_seen_at).bind(s.ended_at).bind(&s.ip).bind(&s.user_agent)
        .execute(e).await.map(|_| ()))
}

/// The session `id`, if it has not ended.
pub async fn active(c: &mut impl Executes, id: &str) -> sqlx::Result<Option<UserSessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM user_sessions WHERE id = $1 AND ended_at IS NULL");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_optional(e).await)
}

/// Ends a session. Returns whether it was active.
pub async fn end(c: &mut impl Executes, id: &str, now: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL";
    on!(c, e => sqlx::query(SQL).bind(id).bind(now).execute(e).await.map(|r| r.rows_affected() > 0))
}

/// Deletes sessions that ended before `before`.
pub async fn purge_ended(c: &mut impl Executes, before: i64) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM user_sessions WHERE ended_at IS NOT NULL AND ended_at < $1";
    on!(c, e => sqlx::query(SQL).bind(before).execute(e).await.map(|r| r.rows_affected()))
}
