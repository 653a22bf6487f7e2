//! Password sign-in for realm users, behind brute-force protection (per account and per client
//! IP): each failure makes the next attempt wait longer (1, 2, 4… seconds), and the realm's
//! `bruteforce_max_failures` failures lock the account for `bruteforce_lockout_seconds`. The
//! counters live in the database, so they hold across instances; an unknown username is counted
//! like a known one, so the behaviour reveals nothing about which accounts exist. An attempt
//! is reserved (counted) atomically before the password is checked, and un-counted when it
//! succeeds: racing guesses cannot slip past the limit. The admin console's sign-in uses the
//! same guard ([`guarded_login`]).

use crate::{
    crypto::password,
    registry::Realm,
    state::AppState,
    store::{self, audit::NewAudit, login_failures::FailureRow, users::UserRow, Executes},
};
use app::text::count;
use std::net::IpAddr;

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong username or password (one message for both).
    Invalid,
    /// Too soon after the last failure; retry in this many seconds.
    Wait(i64),
    /// Locked out; retry in this many seconds.
    Locked(i64),
    /// The database failed.
    Internal,
}

impl LoginError {
    /// The `error` query code the login page understands.
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::Invalid => "invalid",
            LoginError::Wait(_) => "wait",
            LoginError::Locked(_) => "locked",
            LoginError::Internal => "internal",
        }
    }

    /// Seconds to wait, when there is a wait.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            LoginError::Wait(s) | LoginError::Locked(s) => Some(*s),
            _ => None,
        }
    }

    /// The message shown to the user (and in `error_description` for the password grant).
    pub fn message(&self) -> String {
        match self {
            LoginError::Invalid => "Invalid username or password.".into(),
            LoginError::Wait(s) => format!("Please wait {} before trying again.", count(*s, "second")),
            LoginError::Locked(s) => {
                format!("Too many failed attempts. Sign-in is locked for {} more.", count((s + 59) / 60, "minute"))
            }
            LoginError::Internal => "Sign-in is unavailable right now. Please try again.".into(),
        }
    }
}

/// Failures from one address that lock it out, as a multiple of the per-account limit.
pub const IP_FACTOR: i64 = 4;
/// The longest wait between attempts before the lockout.
const MAX_DELAY: i64 = 30;

fn delay(failures: i64) -> i64 {
    if failures <= 0 {
        0
    } else {
        (1i64 << (failures - 1).min(10)).min(MAX_DELAY)
    }
}

fn internal(e: sqlx::Error) -> LoginError {
    tracing::error!(error = %e, "sign-in");
    LoginError::Internal
}

/// Refuses when `key` is locked, or (with `delay`) when it failed too recently. A read: the
/// attempt is not counted (the device page's code entry, where a found code is no failure).
pub async fn check(
    c: &mut impl Executes,
    realm_id: &str,
    key: &str,
    lockout: i64,
    with_delay: bool,
    now: i64,
) -> Result<(), LoginError> {
    let Some(f) = store::login_failures::get(c, realm_id, key).await.map_err(internal)? else {
        return Ok(());
    };
    refusal(&f, lockout, with_delay, now).map_or(Ok(()), Err)
}

/// Why a counter in state `f` refuses an attempt at `now`, if it does.
fn refusal(f: &FailureRow, lockout: i64, with_delay: bool, now: i64) -> Option<LoginError> {
    if let Some(until) = f.locked_until.filter(|u| *u > now) {
        return Some(LoginError::Locked(until - now));
    }
    let ready_at = f.last_failure + delay(f.failures);
    (with_delay && now - f.last_failure < lockout && now < ready_at).then_some(LoginError::Wait(ready_at - now))
}

/// Counts a failure against `key` (one atomic statement); `limit` failures within `lockout`
/// seconds lock it for `lockout` seconds. Returns whether it is now locked.
pub async fn count_failure(
    c: &mut impl Executes,
    realm_id: &str,
    key: &str,
    limit: i64,
    lockout: i64,
    now: i64,
) -> Result<bool, LoginError> {
    let row = store::login_failures::count(c, realm_id, key, limit, lockout, now).await.map_err(internal)?;
    Ok(row.locked_until.is_some_and(|u| u > now))
}

/// Forgets the failures of `key`.
pub async fn clear(c: &mut impl Executes, realm_id: &str, key: &str) -> Result<(), LoginError> {
    store::login_failures::clear(c, realm_id, key).await.map_err(internal)
}

/// Longest username looked up; longer ones fail like a wrong password (and are never stored).
pub const MAX_USERNAME: usize = 255;

/// What a guarded sign-in protects, and how it is recorded.
#[derive(Clone)]
pub struct Guard {
    /// The realm whose counters and audit log are used.
    pub realm_id: String,
    /// Failures that lock an account (an address gets [`IP_FACTOR`] times as many).
    pub max_failures: i64,
    pub lockout: i64,
    /// Prefix of the counter keys (`user`, `admin`).
    pub namespace: &'static str,
    /// Audit kinds of a failure and of a lockout.
    pub failed_kind: &'static str,
    pub locked_kind: &'static str,
}

impl Guard {
    /// The guard of a realm's end-user sign-in.
    pub fn for_realm(realm: &Realm) -> Guard {
        let s = &realm.settings;
        Guard {
            realm_id: realm.id.clone(),
            max_failures: s.bruteforce_max_failures.max(1),
            lockout: s.bruteforce_lockout_seconds.max(1),
            namespace: "user",
            failed_kind: "user.login_failed",
            locked_kind: "user.locked",
        }
    }
}

/// A candidate account: what a successful sign-in returns, its id for the audit log, and its
/// password hash (`None`: no such account, or one that cannot sign in).
pub struct Candidate<T> {
    pub account: T,
    pub id: String,
    pub hash: Option<String>,
}

/// Checks a password behind the guard: the account's attempt is reserved atomically before
/// argon2 runs (so parallel guesses are refused, not all checked), the address's counter is
/// checked first and counts every failure. The work runs as a task of its own, so the
/// reservation, the hashing permit and the failure record belong to the attempt, not to the
/// request: a caller hanging up changes nothing.
pub async fn guarded_login<T, L, Fut>(
    state: &AppState,
    guard: Guard,
    username: &str,
    password: String,
    ip: IpAddr,
    lookup: L,
) -> Result<T, LoginError>
where
    T: Send + 'static,
    L: FnOnce(AppState, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<Candidate<T>>, sqlx::Error>> + Send + 'static,
{
    let (state, username) = (state.clone(), username.to_owned());
    tokio::spawn(attempt(state, guard, username, password, ip, lookup)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "sign-in task");
        Err(LoginError::Internal)
    })
}

async fn attempt<T, L, Fut>(
    state: AppState,
    g: Guard,
    username: String,
    password: String,
    ip: IpAddr,
    lookup: L,
) -> Result<T, LoginError>
where
    L: FnOnce(AppState, String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Candidate<T>>, sqlx::Error>>,
{
    let now = state.now();
    if password::saturated() {
        // Refused before anything is counted: the caller may simply try again.
        return Err(LoginError::Internal);
    }
    let username: String = username.chars().take(MAX_USERNAME + 1).collect();
    let user_key = format!("{}:{}", g.namespace, username.to_lowercase());
    let ip_key = format!("{}-ip:{}", g.namespace, crate::net::limit_key(ip));
    let mut conn = state.db.conn().await.map_err(internal)?;
    check(&mut conn, &g.realm_id, &ip_key, g.lockout, false, now).await?;
    let reserved =
        store::login_failures::reserve(&mut conn, &g.realm_id, &user_key, g.max_failures, g.lockout, true, now)
            .await
            .map_err(internal)?;
    let Some(reserved) = reserved else {
        // Refused without checking anything: say why (a read; the numbers are for the message).
        let f = store::login_failures::get(&mut conn, &g.realm_id, &user_key).await.map_err(internal)?;
        return Err(f.and_then(|f| refusal(&f, g.lockout, true, now)).unwrap_or(LoginError::Wait(1)));
    };
    drop(conn);
    let candidate = if username.chars().count() > MAX_USERNAME {
        None
    } else {
        lookup(state.clone(), username.clone()).await.map_err(internal)?
    };
    let (hash, subject) = match &candidate {
        Some(c) => (c.hash.clone(), Some(c.id.clone())),
        None => (None, None),
    };
    if password::verify(hash, password).await {
        if let Some(c) = candidate {
            let mut conn = state.db.conn().await.map_err(internal)?;
            clear(&mut conn, &g.realm_id, &user_key).await?;
            return Ok(c.account);
        }
    }
    let mut conn = state.db.conn().await.map_err(internal)?;
    let user_locked = reserved.locked_until.is_some_and(|u| u > now);
    let ip_locked = count_failure(&mut conn, &g.realm_id, &ip_key, g.max_failures * IP_FACTOR, g.lockout, now).await?;
    let shown: String = username.chars().take(MAX_USERNAME).collect();
    let ip = ip.to_string();
    let ev = NewAudit {
        realm_id: Some(&g.realm_id),
        kind: g.failed_kind,
        actor: &shown,
        subject: subject.as_deref(),
        ip: Some(&ip),
        detail: Some(serde_json::json!({ "username": shown })),
        ..Default::default()
    };
    store::audit::insert(&mut conn, &ev, now).await.map_err(internal)?;
    state.metrics.auth_failure(g.failed_kind);
    if user_locked || ip_locked {
        let counter = if user_locked { &user_key } else { &ip_key };
        let ev = NewAudit {
            realm_id: Some(&g.realm_id),
            kind: g.locked_kind,
            actor: "system",
            subject: subject.as_deref(),
            ip: Some(&ip),
            detail: Some(serde_json::json!({ "counter": counter, "seconds": g.lockout })),
            ..Default::default()
        };
        store::audit::insert(&mut conn, &ev, now).await.map_err(internal)?;
        return Err(LoginError::Locked(g.lockout));
    }
    Err(LoginError::Invalid)
}

/// Checks `username`/`password` of a realm user from `ip`, behind the realm's guard.
pub async fn password_login(
    state: &AppState,
    realm: &Realm,
    username: &str,
    password: &str,
    ip: IpAddr,
) -> Result<UserRow, LoginError> {
    let realm_id = realm.id.clone();
    guarded_login(state, Guard::for_realm(realm), username, password.to_owned(), ip, move |state, name| async move {
        let mut conn = state.db.conn().await?;
        let user = store::users::by_username(&mut conn, &realm_id, &name).await?;
        Ok(user.map(|u| Candidate {
            id: u.id.clone(),
            hash: u.password_hash.clone().filter(|_| u.enabled),
            account: u,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::delay;

    #[test]
    fn delays_grow_then_cap() {
        assert_eq!([0, 1, 2, 3, 4, 5, 6, 7].map(delay), [0, 1, 2, 4, 8, 16, 30, 30]);
    }
}
