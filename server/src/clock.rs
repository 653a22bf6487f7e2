//! Time, injected: protocol code asks the state's clock instead of the system, so tests can
//! move time forward (expiry, not-before) without sleeping.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

/// A source of the current time in unix seconds.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the unix epoch.
    fn now(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock for tests: frozen at the time it was made, or following the system clock, and in
/// both cases moved forward by hand.
#[derive(Debug)]
pub struct ManualClock {
    base: AtomicI64,
    follows_system: bool,
}

impl ManualClock {
    /// A clock frozen at the current system time.
    pub fn new() -> Arc<Self> {
        Arc::new(Self { base: AtomicI64::new(SystemClock.now()), follows_system: false })
    }

    /// A clock that runs with the system clock (for tests that mix in other processes).
    pub fn following_system() -> Arc<Self> {
        Arc::new(Self { base: AtomicI64::new(0), follows_system: true })
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.base.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        let offset = self.base.load(Ordering::SeqCst);
        if self.follows_system {
            SystemClock.now() + offset
        } else {
            offset
        }
    }
}

/// The clock as held by the state.
pub type SharedClock = Arc<dyn Clock>;
