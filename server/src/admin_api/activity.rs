//! A realm's SSO sessions (`GET /sessions`, Portcullis's list; `DELETE /sessions/{session}`
//! and `/client-session-stats`, Keycloak's) and its authentication failures over time
//! (`/auth-failure-stats`, beside `/token-stats`).

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{query_number, ErrorRepresentation, RealmPath, UserSessionRepresentation},
};
use crate::state::AppState;
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// `{realm}` and `{session}`, an SSO session's id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    /// The realm's name.
    pub realm: String,
    /// The session's id (as `GET /sessions` or `/users/{id}/sessions` give it).
    pub session: String,
}

/// The realm's open SSO sessions, newest first (`view-users`)
///
/// Portcullis's list of every user's sessions (Keycloak lists them per user or per client).
#[utoipa::path(get, path = "/sessions", tag = "Portcullis",
    params(RealmPath,
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most (100 by default, 1000 at most)")),
    responses((status = 200, body = Vec<UserSessionRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn sessions(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<UserSessionRepresentation>>, ApiError> {
    let (first, max) = (query_number(&q, "first", 0), query_number(&q, "max", 100));
    let (sessions, _) = s.manager.realm_sessions(&realm, first, max, &a).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|r| UserSessionRepresentation {
                id: r.session.id,
                username: r.session.username,
                user_id: Some(r.session.user_id),
                ip_address: r.session.ip,
                start: r.session.created_at * 1000,
                last_access: r.session.last_seen_at * 1000,
                remember_me: false,
                // Keyed by client id: the list does not read each client's internal id.
                clients: r.clients.into_iter().map(|c| (c.clone(), c)).collect(),
            })
            .collect(),
    ))
}

/// End an SSO session and its tokens (`manage-users`)
#[utoipa::path(delete, path = "/sessions/{session}", tag = "Users", params(SessionPath),
    responses((status = 204, description = "Ended"), (status = 403, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn delete_session(
    State(s): State<AppState>,
    Path(SessionPath { realm, session }): Path<SessionPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.revoke_session(&realm, &session, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period and grouping of `/auth-failure-stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailureQuery {
    /// The period's start, milliseconds since the epoch (24 hours before `to` by default).
    from: Option<i64>,
    /// The period's end, milliseconds since the epoch (now by default).
    to: Option<i64>,
    /// The length of one interval in seconds, a whole number of minutes (3600 by default).
    interval: Option<i64>,
}

/// Failures in one interval (Portcullis).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct AuthFailures {
    /// The interval's start, milliseconds since the epoch.
    pub time: i64,
    /// `user.login_failed` (sign-in), `admin.login_failed` (console sign-in) or
    /// `client.auth_failed` (client authentication).
    #[serde(rename = "type")]
    pub kind: String,
    pub count: i64,
}

/// Sign-in and client-authentication failures per interval (`view-events`)
///
/// Counted from the audit log; intervals without failures are left out.
#[utoipa::path(get, path = "/auth-failure-stats", tag = "Portcullis", params(RealmPath, FailureQuery),
    responses((status = 200, body = Vec<AuthFailures>), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn auth_failure_stats(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    q: Result<Query<FailureQuery>, QueryRejection>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<AuthFailures>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let to = q.to.map(|ms| ms.div_euclid(1000)).unwrap_or_else(|| s.now() + 1);
    let from = q.from.map(|ms| ms.div_euclid(1000)).unwrap_or(to - 24 * 3600);
    let failures = s.manager.auth_failures(&realm, from, to, q.interval.unwrap_or(3600), &a).await?;
    Ok(Json(failures.into_iter().map(|f| AuthFailures { time: f.at * 1000, kind: f.kind, count: f.count }).collect()))
}

/// A client's live sessions (Keycloak's `client-session-stats` entry: counts as strings).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientSessionStats {
    /// The client's internal id.
    pub id: String,
    pub client_id: String,
    /// Online sessions, e.g. `"2"`.
    pub active: String,
    /// Offline sessions.
    pub offline: String,
}

/// Clients with live sessions and how many (`view-clients`)
#[utoipa::path(get, path = "/client-session-stats", tag = "Clients", params(RealmPath),
    responses((status = 200, body = Vec<ClientSessionStats>), (status = 404, body = ErrorRepresentation)))]
pub async fn client_session_stats(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientSessionStats>>, ApiError> {
    let stats = s.manager.client_session_stats(&realm, &a).await?;
    Ok(Json(
        stats
            .into_iter()
            .map(|(id, client_id, active, offline)| ClientSessionStats {
                id,
                client_id,
                active: active.to_string(),
                offline: offline.to_string(),
            })
            .collect(),
    ))
}
