//! The management listener (PRODUCT §1, Keycloak's habit of a port of its own):
//! `/health/live`, `/health/ready` (the database answers and every realm can sign) and
//! Prometheus `/metrics`; and [`observe`], the middleware that counts every request of the main
//! listener by route pattern and gives it a request id.

use crate::{metrics::Snapshot, state::AppState};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The header carrying a request's id, taken from the caller when it sends a sane one.
pub const REQUEST_ID: &str = "x-request-id";
/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The management routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Alive: the process answers (Keycloak's `{"status": "UP"}`).
async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "UP", "checks": [] }))
}

/// Ready: the database answers within two seconds and every enabled realm has a key to sign its
/// access tokens with. 503 and the failing check otherwise.
async fn ready(State(state): State<AppState>) -> Response {
    let db = match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 2 s".to_owned()),
    };
    let keys = match &db {
        Ok(()) => signing_keys(&state).await,
        Err(_) => Err("not checked: the database is down".to_owned()),
    };
    let check = |name: &str, r: &Result<(), String>| match r {
        Ok(()) => json!({ "name": name, "status": "UP" }),
        Err(e) => json!({ "name": name, "status": "DOWN", "data": { "error": e } }),
    };
    let up = db.is_ok() && keys.is_ok();
    let body = json!({
        "status": if up { "UP" } else { "DOWN" },
        "checks": [check("database", &db), check("signing keys", &keys)],
    });
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// Every enabled realm loads and has a signer for its access-token algorithm.
async fn signing_keys(state: &AppState) -> Result<(), String> {
    let names =
        state.manager.list_realms(&crate::manage::Actor::operator("health")).await.map_err(|e| e.to_string())?;
    for realm in names.into_iter().filter(|r| r.enabled) {
        let loaded = state.registry.realm(&realm.name).await.map_err(|e| e.to_string())?;
        let signs = loaded.is_some_and(|r| r.keys.signer(r.access_token_alg(), state.now()).is_some());
        if !signs {
            return Err(format!("realm {:?} has no key to sign with", realm.name));
        }
    }
    Ok(())
}

/// The Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> Response {
    let snapshot = Snapshot {
        tokens: state.stats.totals(),
        pool: state.db.pool_stats(),
        secret_verifications: state.registry.credentials.verifications(),
    };
    let body = state.metrics.render(&snapshot);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// A request id: the caller's `x-request-id` when it is 1–64 visible ASCII characters, else a
/// new one.
fn request_id(req: &Request) -> HeaderValue {
    let given = req.headers().get(REQUEST_ID).filter(|v| {
        let b = v.as_bytes();
        (1..=64).contains(&b.len()) && b.iter().all(|c| c.is_ascii_graphic())
    });
    match given {
        Some(v) => v.clone(),
        None => HeaderValue::from_str(&crate::crypto::hex(&crate::crypto::random_bytes::<8>()))
            .unwrap_or_else(|_| HeaderValue::from_static("-")),
    }
}

/// Counts the request under its route pattern (`unmatched` for anything no route took) with its
/// status and time, runs it inside a span carrying its id, and echoes the id in the answer.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = crate::metrics::method_label(req.method());
    let id = request_id(&req);
    let span = tracing::info_span!("request", id = %id.to_str().unwrap_or("-"));
    let mut res = next.run(req).instrument(span).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    state.metrics.request(route, method, res.status().as_u16(), started.elapsed());
    res.headers_mut().insert(REQUEST_ID, id);
    res
}
