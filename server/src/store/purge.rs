//! What the janitor deletes: rows of the tables that grow with traffic, once they can no longer
//! matter. Each statement deletes at most one batch (`limit` rows picked by key), so a purge of a
//! million rows is many short statements between which requests get the database, never one
//! long lock. Every condition has an index to find its rows (migration 0016).

use super::Executes;
use crate::on;

/// Replayed codes and rotated refresh tokens are recognised for a day past their end.
const REPLAY_WINDOW: i64 = 24 * 3600;
/// The dashboard's longest range is 30 days.
const STATS_DAYS: i64 = 31;

/// A kind of row the janitor removes, with the rule that says when it can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Revocation markers of tokens that have expired anyway.
    Revocations,
    /// Authorization codes a day past their expiry (a replay within the day is still caught).
    AuthCodes,
    /// Refresh tokens a day past their expiry or revocation.
    RefreshTokens,
    /// Online refresh tokens whose SSO session is gone (they died with it).
    OrphanedRefreshTokens,
    /// Brute-force counters a day after their last failure, once unlocked.
    LoginFailures,
    /// Device requests ten minutes past their expiry (slow pollers get `expired_token`).
    DeviceCodes,
    /// SSO sessions a day after they ended, idled out or reached their maximum.
    UserSessions,
    /// Change-log rows a day old (every instance has read them within seconds).
    Changes,
    /// Audit events older than their realm's retention.
    Audit,
    /// Per-minute token counters older than the dashboard's longest range.
    TokenStats,
}

impl Expired {
    /// Every kind, in the order the janitor takes them (sessions before the tokens they orphan).
    pub const ALL: [Expired; 10] = [
        Expired::Revocations,
        Expired::AuthCodes,
        Expired::UserSessions,
        Expired::RefreshTokens,
        Expired::OrphanedRefreshTokens,
        Expired::LoginFailures,
        Expired::DeviceCodes,
        Expired::Changes,
        Expired::Audit,
        Expired::TokenStats,
    ];

    /// The table it lives in (a metric label, and what [`rows`] counts).
    pub const fn table(self) -> &'static str {
        match self {
            Expired::Revocations => "revoked_tokens",
            Expired::AuthCodes => "auth_codes",
            Expired::RefreshTokens | Expired::OrphanedRefreshTokens => "refresh_tokens",
            Expired::LoginFailures => "login_failures",
            Expired::DeviceCodes => "device_codes",
            Expired::UserSessions => "user_sessions",
            Expired::Changes => "changes",
            Expired::Audit => "audit_events",
            Expired::TokenStats => "token_stats",
        }
    }

    /// The statement: `$1` is the cutoff from [`Expired::cutoff`], `$2` the batch size.
    const fn sql(self) -> &'static str {
        match self {
            Expired::Revocations => {
                "DELETE FROM revoked_tokens WHERE jti IN \
                 (SELECT jti FROM revoked_tokens WHERE expires_at < $1 LIMIT $2)"
            }
            Expired::AuthCodes => {
                "DELETE FROM auth_codes WHERE code_hash IN \
                 (SELECT code_hash FROM auth_codes WHERE expires_at < $1 LIMIT $2)"
            }
            Expired::RefreshTokens => {
                "DELETE FROM refresh_tokens WHERE token_hash IN \
                 (SELECT token_hash FROM refresh_tokens WHERE expires_at < $1 \
                  UNION ALL SELECT token_hash FROM refresh_tokens WHERE revoked_at < $1 LIMIT $2)"
            }
            Expired::OrphanedRefreshTokens => {
                "DELETE FROM refresh_tokens WHERE token_hash IN \
                 (SELECT token_hash FROM refresh_tokens t WHERE NOT t.offline AND t.issued_at < $1 \
                  AND NOT EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = t.session_id) LIMIT $2)"
            }
            Expired::LoginFailures => {
                "DELETE FROM login_failures WHERE (realm_id, subject) IN \
                 (SELECT realm_id, subject FROM login_failures \
                  WHERE last_failure < $1 AND (locked_until IS NULL OR locked_until < $1) LIMIT $2)"
            }
            Expired::DeviceCodes => {
                "DELETE FROM device_codes WHERE device_code_hash IN \
                 (SELECT device_code_hash FROM device_codes WHERE expires_at < $1 LIMIT $2)"
            }
            Expired::UserSessions => {
                "DELETE FROM user_sessions WHERE id IN \
                 (SELECT s.id FROM user_sessions s JOIN realms r ON r.id = s.realm_id \
                  WHERE (s.ended_at IS NOT NULL AND s.ended_at < $1) \
                     OR s.last_seen_at + r.sso_session_idle_timeout < $1 \
                     OR s.created_at + r.sso_session_max_lifespan < $1 LIMIT $2)"
            }
            Expired::Changes => "DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < $1 LIMIT $2)",
            Expired::Audit => {
                "DELETE FROM audit_events WHERE id IN \
                 (SELECT a.id FROM audit_events a JOIN realms r ON r.id = a.realm_id \
                  WHERE a.at < $1 - r.audit_retention_days * 86400 LIMIT $2)"
            }
            Expired::TokenStats => {
                "DELETE FROM token_stats WHERE (realm_id, client_id, grant_type, minute) IN \
                 (SELECT realm_id, client_id, grant_type, minute FROM token_stats WHERE minute < $1 LIMIT $2)"
            }
        }
    }

    /// The value the statement compares with, at `now`.
    const fn cutoff(self, now: i64) -> i64 {
        match self {
            Expired::Revocations | Expired::Audit => now,
            Expired::DeviceCodes => now - 600,
            // An orphan is at least a minute old: its session row was written before it.
            Expired::OrphanedRefreshTokens => now - 60,
            Expired::TokenStats => (now - STATS_DAYS * 86_400) / 60,
            Expired::AuthCodes
            | Expired::RefreshTokens
            | Expired::LoginFailures
            | Expired::UserSessions
            | Expired::Changes => now - REPLAY_WINDOW,
        }
    }
}

/// Deletes at most `limit` rows of `what` that can go at `now`; returns how many it deleted.
pub async fn batch(c: &mut impl Executes, what: Expired, now: i64, limit: i64) -> sqlx::Result<u64> {
    let cutoff = what.cutoff(now);
    on!(c, e => sqlx::query(what.sql()).bind(cutoff).bind(limit).execute(e).await.map(|r| r.rows_affected()))
}

/// How many rows `what`'s table holds (the soak test's measure; a full count, not for hot paths).
pub async fn rows(c: &mut impl Executes, what: Expired) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {}", what.table());
    on!(c, e => sqlx::query_scalar::<_, i64>(&sql).fetch_one(e).await)
}
