//! Rate limits, all keyed by [`net::limit_key`](crate::net::limit_key) of the client's
//! address (behind trusted proxies, the forwarded one):
//! - an optional request limit at the token endpoint;
//! - a default-on limit on device authorization requests, which store a row each;
//! - failed client authentications per (address, client): past the limit that address may only
//!   use credentials already verified, so guessing one client's secret stops while every other
//!   client, and the guessed client's holders of its real secret, keep working.

use crate::net::limit_key;
use dashmap::DashMap;
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use std::{net::IpAddr, num::NonZeroU32};

type KeyedLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// Length of the failure-counting window.
const FAILURE_WINDOW: i64 = 60;
/// Most (address, client) failure counters kept; past it the oldest windows are dropped.
const MAX_FAILURE_KEYS: usize = 100_000;
/// Longest client id a failure counter keys on.
const MAX_KEY_CLIENT_ID: usize = 255;

/// The server's limits.
pub struct Limits {
    token: Option<KeyedLimiter>,
    device: Option<KeyedLimiter>,
    failure_limit: u32,
    failures: DashMap<(IpAddr, String), (i64, u32)>,
}

fn failure_key(ip: IpAddr, client_id: &str) -> (IpAddr, String) {
    (limit_key(ip), client_id.chars().take(MAX_KEY_CLIENT_ID).collect())
}

impl Limits {
    /// `token_per_sec`: token-endpoint requests per second per address (0: unlimited), with a
    /// burst of twice that; `device_per_min`: device authorization requests per minute per
    /// address (0: unlimited); `failure_limit`: failed authentications per (address, client)
    /// per minute.
    pub fn new(token_per_sec: u32, device_per_min: u32, failure_limit: u32) -> Self {
        let token = NonZeroU32::new(token_per_sec).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let device = NonZeroU32::new(device_per_min).map(|rate| RateLimiter::keyed(Quota::per_minute(rate)));
        Self { token, device, failure_limit: failure_limit.max(1), failures: DashMap::new() }
    }

    /// Admits a token-endpoint request from `ip`, or says how many seconds to wait.
    pub fn admit_token_request(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.token {
            Some(l) => l.check_key(&limit_key(ip)).map_err(|_| 1),
            None => Ok(()),
        }
    }

    /// Admits a device authorization request from `ip`, or says how many seconds to wait.
    pub fn admit_device_request(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.device {
            Some(l) => l
                .check_key(&limit_key(ip))
                .map_err(|n| n.wait_time_from(governor::clock::Clock::now(&DefaultClock::default())).as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Whether `client_id` has failed to authenticate too often from `ip`;
    /// `Err(seconds until the window ends)` when it has.
    pub fn check_failures(&self, ip: IpAddr, client_id: &str, now: i64) -> Result<(), u64> {
        // The token endpoint's hot path: no key to build while nobody is failing.
        if self.failures.is_empty() {
            return Ok(());
        }
        match self.failures.get(&failure_key(ip, client_id)) {
            Some(e) if now - e.0 < FAILURE_WINDOW && e.1 >= self.failure_limit => {
                Err((e.0 + FAILURE_WINDOW - now).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed authentication of `client_id` from `ip`.
    pub fn record_failure(&self, ip: IpAddr, client_id: &str, now: i64) {
        if self.failures.len() >= MAX_FAILURE_KEYS {
            self.purge(now);
        }
        let mut e = self.failures.entry(failure_key(ip, client_id)).or_insert((now, 0));
        if now - e.0 >= FAILURE_WINDOW {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
    }

    /// Forgets windows that have ended (called by the janitor).
    pub fn purge(&self, now: i64) {
        self.failures.retain(|_, e| now - e.0 < FAILURE_WINDOW);
        for l in [&self.token, &self.device].into_iter().flatten() {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_one_client_from_one_address_for_the_rest_of_the_window() {
        let l = Limits::new(0, 0, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_failures(ip, "a", 100).is_ok());
            l.record_failure(ip, "a", 100);
        }
        assert_eq!(l.check_failures(ip, "a", 110), Err(50));
        assert!(l.check_failures(ip, "b", 110).is_ok(), "another client from the same address");
        assert!(l.check_failures("10.0.0.2".parse().unwrap(), "a", 110).is_ok(), "another address");
        assert!(l.check_failures(ip, "a", 161).is_ok());
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_counter() {
        let l = Limits::new(0, 0, 2);
        l.record_failure("2001:db8::1".parse().unwrap(), "a", 100);
        l.record_failure("2001:db8::2".parse().unwrap(), "a", 100);
        assert!(l.check_failures("2001:db8::ffff".parse().unwrap(), "a", 100).is_err());
    }

    #[test]
    fn token_limit_is_off_by_default_and_device_limit_on() {
        let l = Limits::new(0, 10, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!((0..10_000).all(|_| l.admit_token_request(ip).is_ok()));
        assert!((0..11).any(|_| l.admit_device_request(ip).is_err()));
        assert!(l.admit_device_request("10.0.0.2".parse().unwrap()).is_ok());
        let l = Limits::new(5, 0, 3);
        assert!((0..100).any(|_| l.admit_token_request(ip).is_err()));
    }
}
