//! Rate limits: an optional per-IP request limit at the token endpoint, and a per-IP limit on
//! failed client authentications that stops secret guessing without slowing honest clients.

use dashmap::DashMap;
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use std::{net::IpAddr, num::NonZeroU32};

type KeyedLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// Length of the failure-counting window.
const FAILURE_WINDOW: i64 = 60;

/// The server's limits.
pub struct Limits {
    token: Option<KeyedLimiter>,
    failure_limit: u32,
    failures: DashMap<IpAddr, (i64, u32)>,
    /// Bounds concurrent argon2 verifications (each takes 19 MiB and a core for ~20 ms), so a
    /// flood of bad credentials queues instead of exhausting memory.
    pub hashing: tokio::sync::Semaphore,
}

impl Limits {
    /// `token_per_sec`: token-endpoint requests per second per IP (0: unlimited), with a burst
    /// of twice that; `failure_limit`: failed authentications per IP per minute.
    pub fn new(token_per_sec: u32, failure_limit: u32) -> Self {
        let token = NonZeroU32::new(token_per_sec).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self {
            token,
            failure_limit: failure_limit.max(1),
            failures: DashMap::new(),
            hashing: tokio::sync::Semaphore::new(cores * 2),
        }
    }

    /// Admits a token-endpoint request from `ip`, or says how many seconds to wait.
    pub fn admit_token_request(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.token {
            Some(l) => l.check_key(&ip).map_err(|_| 1),
            None => Ok(()),
        }
    }

    /// Whether `ip` has failed too often; `Err(seconds until the window ends)` when it has.
    pub fn check_failures(&self, ip: IpAddr, now: i64) -> Result<(), u64> {
        match self.failures.get(&ip) {
            Some(e) if now - e.0 < FAILURE_WINDOW && e.1 >= self.failure_limit => {
                Err((e.0 + FAILURE_WINDOW - now).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed authentication from `ip`.
    pub fn record_failure(&self, ip: IpAddr, now: i64) {
        let mut e = self.failures.entry(ip).or_insert((now, 0));
        if now - e.0 >= FAILURE_WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
    }

    /// Forgets windows that have ended (called by the janitor).
    pub fn purge(&self, now: i64) {
        self.failures.retain(|_, e| now - e.0 < FAILURE_WINDOW);
        if let Some(l) = &self.token {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_out_for_the_rest_of_the_window() {
        let l = Limits::new(0, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_failures(ip, 100).is_ok());
            l.record_failure(ip, 100);
        }
        assert_eq!(l.check_failures(ip, 110), Err(50));
        assert!(l.check_failures("10.0.0.2".parse().unwrap(), 110).is_ok());
        assert!(l.check_failures(ip, 161).is_ok());
    }

    #[test]
    fn token_limit_is_off_by_default() {
        let l = Limits::new(0, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!((0..10_000).all(|_| l.admit_token_request(ip).is_ok()));
        let l = Limits::new(5, 3);
        assert!((0..100).any(|_| l.admit_token_request(ip).is_err()));
    }
}
