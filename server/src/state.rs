//! The state every handler shares.

use crate::{
    clock::SharedClock, config::Config, manage::Manager, ratelimit::Limits, registry::Registry, stats::TokenStats,
    store::Db,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::{ops::Deref, sync::Arc};

/// Cheaply clonable handle on the shared state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What the state holds.
pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub clock: SharedClock,
    pub registry: Arc<Registry>,
    pub manager: Manager,
    pub limits: Limits,
    pub stats: TokenStats,
    pub metrics: crate::metrics::Metrics,
    pub leptos: LeptosOptions,
    /// The public base URL, without a trailing slash.
    pub public_url: String,
    /// Whether cookies get `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
