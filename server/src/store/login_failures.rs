//! `login_failures`: failed sign-ins per account and per client IP.

use super::Executes;
use crate::on;

/// A counter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailureRow {
    pub failures: i64,
    pub last_failure: i64,
    pub locked_until: Option<i64>,
}

/// The counter of `subject` (`user:ID` or `ip:ADDR`) in a realm.
pub async fn get(c: &mut impl Executes, realm_id: &str, subject: &str) -> sqlx::Result<Option<FailureRow>> {
    const SQL: &str =
        "SELECT failures, last_failure, locked_until FROM login_failures WHERE realm_id = $1 AND subject = $2";
    on!(c, e => sqlx::query_as(SQL).bind(realm_id).bind(subject).fetch_optional(e).await)
}

/// Writes a counter.
pub async fn put(c: &mut impl Executes, realm_id: &str, subject: &str, row: &FailureRow) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO login_failures (realm_id, subject, failures, last_failure, locked_until) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (realm_id, subject) DO UPDATE SET \
                       failures = excluded.failures, last_failure = excluded.last_failure, locked_until = excluded.locked_until";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(subject).bind(row.failures).bind(row.last_failure)
        .bind(row.locked_until).execute(e).await.map(|_| ()))
}

/// Clears a counter (after a successful sign-in).
pub async fn clear(c: &mut impl Executes, realm_id: &str, subject: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM login_failures WHERE realm_id = $1 AND subject = $2";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(subject).execute(e).await.map(|_| ()))
}

/// Forgets counters idle since before `before`.
pub async fn purge(c: &mut impl Executes, before: i64) -> sqlx::Result<u64> {
    const SQL: &str =
        "DELETE FROM login_failures WHERE last_failure < $1 AND (locked_until IS NULL OR locked_until < $1)";
    on!(c, e => sqlx::query(SQL).bind(before).execute(e).await.map(|r| r.rows_affected()))
}
