//! Password sign-in for realm users, behind brute-force protection (per account and per client
//! IP): each failure makes the next attempt wait longer (1, 2, 4… seconds), and the realm's
//! `bruteforce_max_failures` failures lock the account for `bruteforce_lockout_seconds`. The
//! counters live in the database, so they hold across instances; an unknown username is counted
//! like a known one, so the behaviour reveals nothing about which accounts exist.

use crate::{
    crypto::password,
    registry::Realm,
    state::AppState,
    store::{self, audit::NewAudit, login_failures::FailureRow, users::UserRow, Executes},
};
use app::text::count;

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

/// Failures from one IP that lock it out, as a multiple of the per-account limit.
const IP_FACTOR: i64 = 4;
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

/// Refuses when `key` is locked, or (with `delay`) when it failed too recently.
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
    if let Some(until) = f.locked_until.filter(|u| *u > now) {
        return Err(LoginError::Locked(until - now));
    }
    let ready_at = f.last_failure + delay(f.failures);
    if with_delay && now - f.last_failure < lockout && now < ready_at {
        return Err(LoginError::Wait(ready_at - now));
    }
    Ok(())
}

/// Counts a failure against `key`; `limit` failures within `lockout` seconds lock it for
/// `lockout` seconds. Returns whether it is now locked.
pub async fn count_failure(
    c: &mut impl Executes,
    realm_id: &str,
    key: &str,
    limit: i64,
    lockout: i64,
    now: i64,
) -> Result<bool, LoginError> {
    let prev = store::login_failures::get(c, realm_id, key).await.map_err(internal)?;
    let failures = match prev {
        Some(p) if now - p.last_failure < lockout && p.locked_until.is_none_or(|u| u > now) => p.failures + 1,
        _ => 1,
    };
    let locked_until = (failures >= limit).then_some(now + lockout);
    let row = FailureRow { failures, last_failure: now, locked_until };
    store::login_failures::put(c, realm_id, key, &row).await.map_err(internal)?;
    Ok(locked_until.is_some())
}

/// Forgets the failures of `key`.
pub async fn clear(c: &mut impl Executes, realm_id: &str, key: &str) -> Result<(), LoginError> {
    store::login_failures::clear(c, realm_id, key).await.map_err(internal)
}

/// Checks `username`/`password` in `realm` from `ip`.
pub async fn password_login(
    state: &AppState,
    realm: &Realm,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<UserRow, LoginError> {
    let now = state.now();
    let settings = &realm.settings;
    let (max, lockout) = (settings.bruteforce_max_failures.max(1), settings.bruteforce_lockout_seconds.max(1));
    let user_key = format!("user:{}", username.to_lowercase());
    let ip_key = format!("ip:{ip}");
    let mut conn = state.db.conn().await.map_err(internal)?;
    check(&mut conn, &realm.id, &ip_key, lockout, false, now).await?;
    check(&mut conn, &realm.id, &user_key, lockout, true, now).await?;
    let user = store::users::by_username(&mut conn, &realm.id, username).await.map_err(internal)?;
    let hash = user.as_ref().filter(|u| u.enabled).and_then(|u| u.password_hash.clone());
    drop(conn);
    if password::verify(hash, password.to_owned()).await {
        if let Some(user) = user.clone().filter(|u| u.enabled) {
            let mut conn = state.db.conn().await.map_err(internal)?;
            clear(&mut conn, &realm.id, &user_key).await?;
            return Ok(user);
        }
    }
    let mut conn = state.db.conn().await.map_err(internal)?;
    let user_locked = count_failure(&mut conn, &realm.id, &user_key, max, lockout, now).await?;
    let ip_locked = count_failure(&mut conn, &realm.id, &ip_key, max * IP_FACTOR, lockout, now).await?;
    let subject = user.as_ref().map(|u| u.id.as_str());
    let ev = NewAudit {
        realm_id: Some(&realm.id),
        kind: "user.login_failed",
        actor: username,
        subject,
        ip: Some(ip),
        detail: Some(serde_json::json!({ "username": username })),
        ..Default::default()
    };
    store::audit::insert(&mut conn, &ev, now).await.map_err(internal)?;
    if user_locked || ip_locked {
        let counter = if user_locked { &user_key } else { &ip_key };
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind: "user.locked",
            actor: "system",
            subject,
            ip: Some(ip),
            detail: Some(serde_json::json!({ "counter": counter, "seconds": lockout })),
            ..Default::default()
        };
        store::audit::insert(&mut conn, &ev, now).await.map_err(internal)?;
        return Err(LoginError::Locked(lockout));
    }
    Err(LoginError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::delay;

    #[test]
    fn delays_grow_then_cap() {
        assert_eq!([0, 1, 2, 3, 4, 5, 6, 7].map(delay), [0, 1, 2, 4, 8, 16, 30, 30]);
    }
}
