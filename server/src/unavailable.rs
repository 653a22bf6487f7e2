//! What the browser gets while the database cannot be reached: a clear 503 page at once, not a
//! page that waits on it, breaks half-way or shows a stack trace.
//!
//! Which failures count is decided in one place, [`crate::store::is_unavailable`]; protocol
//! endpoints answer them with `temporarily_unavailable` (`oauth::error`), the admin API with
//! its 503 (`admin_api::error`), and pages and forms with [`page`].

use crate::{manage::ManageError, registry::LoadError, state::AppState, store};
use axum::{
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::Response,
};

/// The 503 page (with `Retry-After: 1`).
pub fn page() -> Response {
    let mut res = crate::oauth::authorize::error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The sign-in service cannot reach its database right now. Please try again in a moment.",
    );
    res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(1));
    res
}

/// A failure of a page or form handler that may be the database's being unreachable.
pub trait Failure: std::fmt::Display {
    /// True when [`crate::store::is_unavailable`] says so of the database error inside.
    fn unavailable(&self) -> bool {
        false
    }
}

impl Failure for sqlx::Error {
    fn unavailable(&self) -> bool {
        store::is_unavailable(self)
    }
}

impl Failure for LoadError {
    fn unavailable(&self) -> bool {
        matches!(self, LoadError::Db(e) if store::is_unavailable(e))
    }
}

impl Failure for ManageError {
    fn unavailable(&self) -> bool {
        matches!(self, ManageError::Db(e) if store::is_unavailable(e))
    }
}

/// The session store's errors carry the database's only as text; a backend failure there is the
/// database failing (the statements are the library's, tested), so it counts as unreachable.
impl Failure for tower_sessions::session::Error {
    fn unavailable(&self) -> bool {
        matches!(self, tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(_)))
    }
}

impl Failure for &str {}

/// The page for a failed page or form handler: [`page`] when the database is unreachable, the
/// generic 500 page otherwise; the detail goes to the log only.
pub fn failure_page(what: &str, e: impl Failure) -> Response {
    if e.unavailable() {
        tracing::warn!(error = %e, "{what}: database unavailable");
        return page();
    }
    tracing::error!(error = %e, "{what}");
    crate::oauth::authorize::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// The text a page shows for a failed read (pages render their data's error in place).
pub fn failure_text(what: &str, e: impl Failure) -> String {
    if e.unavailable() {
        tracing::warn!(error = %e, "{what}: database unavailable");
        return "The service is temporarily unavailable. Please try again in a moment.".to_owned();
    }
    tracing::error!(error = %e, "{what}");
    "Something went wrong. Please try again.".to_owned()
}

/// Before a page or form: the database answers ([`crate::store::Db::reachable`]), or the 503
/// page at once. Everything the browser side serves reads the session or the pages' data from
/// the database, so without it a page could only fail later, slower and less clearly (or, after
/// a change to the session that cannot be saved, as an empty 500). Static files pass.
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let file = path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|last| last.contains('.'));
    if !file {
        if let Err(e) = state.db.reachable().await {
            return failure_page("page", e);
        }
    }
    next.run(req).await
}
