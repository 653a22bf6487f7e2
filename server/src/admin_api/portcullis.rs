//! Portcullis's own objects beside Keycloak's, under the same conventions (201 + `Location` on
//! create, `first`/`max` paging, Keycloak's error bodies): `/projects`, `/audit-events` and
//! `/token-stats`.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{
        created, query_number, ApiJson, AuditEventRepresentation, ErrorRepresentation, IdPath, ProjectRepresentation,
        RealmPath, TokenIssuance,
    },
};
use crate::{manage::project::NewProject, state::AppState};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

/// The realm's projects (`view-clients` or `view-realm`)
#[utoipa::path(get, path = "/projects", tag = "Portcullis", params(RealmPath),
    responses((status = 200, body = Vec<ProjectRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn projects(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ProjectRepresentation>>, ApiError> {
    let projects = s.manager.list_projects(&realm, &a).await?;
    Ok(Json(projects.into_iter().map(project_representation).collect()))
}

/// Create a project (`manage-realm`)
///
/// `id` (1–64 lowercase letters, digits and `-`) is made from nothing when absent.
#[utoipa::path(post, path = "/projects", tag = "Portcullis", params(RealmPath), request_body = ProjectRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/projects/{id}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation),
        (status = 409, body = ErrorRepresentation)))]
pub async fn create_project(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ProjectRepresentation>,
) -> Result<Response, ApiError> {
    let new = NewProject {
        id: rep.id.as_deref(),
        name: rep.name.as_deref().unwrap_or(""),
        description: rep.description.as_deref().unwrap_or(""),
    };
    let project = s.manager.create_project(&realm, new, &a).await?;
    let location = format!("{}/admin/realms/{realm}/projects/{}", s.public_url, project.id);
    Ok(created(location))
}

fn project_representation(p: crate::store::projects::ProjectRow) -> ProjectRepresentation {
    ProjectRepresentation {
        id: Some(p.id),
        name: Some(p.name),
        description: Some(p.description),
        created_timestamp: Some(p.created_at * 1000),
    }
}

/// One project (`view-clients` or `view-realm`)
#[utoipa::path(get, path = "/projects/{id}", tag = "Portcullis", params(IdPath),
    responses((status = 200, body = ProjectRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn project(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<ProjectRepresentation>, ApiError> {
    let found = s.manager.list_projects(&realm, &a).await?.into_iter().find(|p| p.id == id);
    Ok(Json(project_representation(found.ok_or_else(|| ApiError::not_found("Project not found"))?)))
}

/// Rename a project or change its description (`manage-realm`); its id stays
#[utoipa::path(put, path = "/projects/{id}", tag = "Portcullis", params(IdPath), request_body = ProjectRepresentation,
    responses((status = 204), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn update_project(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ProjectRepresentation>,
) -> Result<StatusCode, ApiError> {
    s.manager.update_project(&realm, &id, rep.name.as_deref(), rep.description.as_deref(), &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a project (`manage-realm`): clients and API keys lose access to it
#[utoipa::path(delete, path = "/projects/{id}", tag = "Portcullis", params(IdPath),
    responses((status = 204), (status = 404, body = ErrorRepresentation)))]
pub async fn delete_project(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.delete_project(&realm, &id, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The realm's audit log, newest first (`view-events`)
///
/// Filtered by `actor`, `client`, `type` and a period; `format=jsonl` answers JSON lines
/// (one event a line, `application/x-ndjson`) instead of an array.
#[utoipa::path(get, path = "/audit-events", tag = "Portcullis",
    params(RealmPath,
        ("client" = Option<String>, Query, description = "Only events about this client (its client id)"),
        ("actor" = Option<String>, Query, description = "Only events by this actor (a username or client id)"),
        ("type" = Option<String>, Query, description = "Only events of this type, e.g. `client.updated`"),
        ("since" = Option<i64>, Query, description = "Only events at or after this time, milliseconds since the epoch"),
        ("until" = Option<i64>, Query, description = "Only events before this time, milliseconds since the epoch"),
        ("format" = Option<String>, Query, description = "`jsonl`: JSON lines instead of an array"),
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most (100 by default, 1000 at most)")),
    responses((status = 200, body = Vec<AuditEventRepresentation>), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn audit_events(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Response, ApiError> {
    let text = |k: &str| q.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let time = |k: &str| match text(k) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(|ms| Some(ms.div_euclid(1000)))
            .map_err(|_| ApiError::bad_request(format!("{k} must be milliseconds since the epoch"))),
    };
    let filter = crate::store::audit::AuditFilter {
        actor: text("actor"),
        client_id: text("client"),
        kind: text("type"),
        since: time("since")?,
        until: time("until")?,
    };
    let (first, max) = (query_number(&q, "first", 0), query_number(&q, "max", 100).clamp(1, 1000));
    let page = s.manager.search_audit(&realm, &filter, first, max, &a).await?;
    if text("format").as_deref() == Some("jsonl") {
        let body: String = page.events.iter().map(|e| crate::console::activity::jsonl_line(e) + "\n").collect();
        return Ok(([(axum::http::header::CONTENT_TYPE, "application/x-ndjson")], body).into_response());
    }
    Ok(Json(
        page.events
            .into_iter()
            .map(|e| AuditEventRepresentation {
                id: e.id,
                time: e.at * 1000,
                kind: e.kind,
                actor: e.actor,
                client_id: e.client_id,
                subject: e.subject,
                ip_address: e.ip,
                details: serde_json::from_str(&e.detail).unwrap_or_default(),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// The period and grouping of `/token-stats`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct StatsQuery {
    /// Only this client's tokens (its client id).
    client_id: Option<String>,
    /// The period's start, milliseconds since the epoch (24 hours before `to` by default).
    from: Option<i64>,
    /// The period's end, milliseconds since the epoch (now by default).
    to: Option<i64>,
    /// The length of one interval in seconds, a whole number of minutes (3600 by default).
    interval: Option<i64>,
}

/// Tokens issued per interval, by client and grant (`view-events` or `view-realm`)
///
/// The token endpoint counts in memory and writes the counts every few seconds, so the last
/// seconds may not be in yet. Intervals without tokens are left out.
#[utoipa::path(get, path = "/token-stats", tag = "Portcullis", params(RealmPath, StatsQuery),
    responses((status = 200, body = Vec<TokenIssuance>), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn token_stats(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    q: Result<Query<StatsQuery>, QueryRejection>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<TokenIssuance>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let to = q.to.map(|ms| ms.div_euclid(1000)).unwrap_or_else(|| s.now() + 1);
    let from = q.from.map(|ms| ms.div_euclid(1000)).unwrap_or(to - 24 * 3600);
    let interval = q.interval.unwrap_or(3600);
    let issued = s.manager.token_issuance(&realm, q.client_id.as_deref(), from, to, interval, &a).await?;
    Ok(Json(
        issued
            .into_iter()
            .map(|i| TokenIssuance {
                time: i.at * 1000,
                client_id: i.client_id,
                grant_type: i.grant_type,
                count: i.count,
            })
            .collect(),
    ))
}
