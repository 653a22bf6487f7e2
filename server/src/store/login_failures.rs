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

/// The wait before the next attempt after `failures` failures, in SQL: 1, 2, 4, 8, 16, then
/// 30 seconds (the same rule as `flow::brute_force::delay`).
const DELAY_SQL: &str = "(CASE WHEN login_failures.failures <= 0 THEN 0 WHEN login_failures.failures = 1 THEN 1 \
    WHEN login_failures.failures = 2 THEN 2 WHEN login_failures.failures = 3 THEN 4 \
    WHEN login_failures.failures = 4 THEN 8 WHEN login_failures.failures = 5 THEN 16 ELSE 30 END)";

/// Reserves one attempt against `subject` in one statement, before any password is checked:
/// the counter goes up first, so parallel guesses cannot all pass a check made before any of
/// them is counted. Refused (returns `None`, counts nothing) while the subject is locked, or,
/// with `with_delay`, sooner than the growing delay after the last failure. A counter idle for
/// `lockout` seconds, or whose lockout ended, starts again from one; reaching `limit` locks it
/// for `lockout` seconds. Returns the counter as this attempt left it.
pub async fn reserve(
    c: &mut impl Executes,
    realm_id: &str,
    subject: &str,
    limit: i64,
    lockout: i64,
    with_delay: bool,
    now: i64,
) -> sqlx::Result<Option<FailureRow>> {
    let stale = "($3 - login_failures.last_failure >= $5 OR login_failures.locked_until IS NOT NULL)";
    let next = format!("(CASE WHEN {stale} THEN 1 ELSE login_failures.failures + 1 END)");
    let sql = format!(
        "INSERT INTO login_failures (realm_id, subject, failures, last_failure, locked_until) \
         VALUES ($1, $2, 1, $3, CASE WHEN 1 >= $4 THEN $3 + $5 ELSE NULL END) \
         ON CONFLICT (realm_id, subject) DO UPDATE SET failures = {next}, last_failure = $3, \
           locked_until = CASE WHEN {next} >= $4 THEN $3 + $5 ELSE NULL END \
         WHERE (login_failures.locked_until IS NULL OR login_failures.locked_until <= $3) \
           AND ({stale} OR login_failures.last_failure + {DELAY_SQL} * $6 <= $3) \
         RETURNING failures, last_failure, locked_until"
    );
    let delay_factor: i64 = if with_delay { 1 } else { 0 };
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(subject).bind(now).bind(limit).bind(lockout)
        .bind(delay_factor).fetch_optional(e).await)
}

/// Counts one failure against `subject` in one statement (no lost updates between racing
/// requests); `limit` failures within `lockout` seconds lock it for `lockout` seconds.
pub async fn count(
    c: &mut impl Executes,
    realm_id: &str,
    subject: &str,
    limit: i64,
    lockout: i64,
    now: i64,
) -> sqlx::Result<FailureRow> {
    let stale = "($3 - login_failures.last_failure >= $5 OR (login_failures.locked_until IS NOT NULL \
                 AND login_failures.locked_until <= $3))";
    let next = format!("(CASE WHEN {stale} THEN 1 ELSE login_failures.failures + 1 END)");
    let sql = format!(
        "INSERT INTO login_failures (realm_id, subject, failures, last_failure, locked_until) \
         VALUES ($1, $2, 1, $3, CASE WHEN 1 >= $4 THEN $3 + $5 ELSE NULL END) \
         ON CONFLICT (realm_id, subject) DO UPDATE SET failures = {next}, last_failure = $3, \
           locked_until = CASE WHEN {next} >= $4 THEN $3 + $5 ELSE login_failures.locked_until END \
         RETURNING failures, last_failure, locked_until"
    );
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(subject).bind(now).bind(limit).bind(lockout)
        .fetch_one(e).await)
}

/// Clears a counter (after a successful sign-in).
pub async fn clear(c: &mut impl Executes, realm_id: &str, subject: &str) -> sqlx::Result<()> {
    const SQL: &str = "DELETE FROM login_failures WHERE realm_id = $1 AND subject = $2";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(subject).execute(e).await.map(|_| ()))
}

/// Clears every counter of a realm whose subject starts with `prefix` (e.g. every account's).
pub async fn clear_prefix(c: &mut impl Executes, realm_id: &str, prefix: &str) -> sqlx::Result<u64> {
    const SQL: &str = "DELETE FROM login_failures WHERE realm_id = $1 AND SUBSTR(subject, 1, LENGTH(CAST($2 AS TEXT))) = CAST($2 AS TEXT)";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(prefix).execute(e).await.map(|r| r.rows_affected()))
}
