//! Portcullis's own objects beside Keycloak's, under the same conventions (201 + `Location` on
//! create, `first`/`max` paging, Keycloak's error bodies): `/projects` and `/audit-events`.

use super::{auth::ApiActor, error::ApiError};
use crate::state::AppState;
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET /projects`.
pub async fn projects(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let projects = s.manager.list_projects(&realm, &a).await?;
    Ok(Json(
        projects
            .iter()
            .map(|p| json!({ "id": p.id, "name": p.name, "createdTimestamp": p.created_at * 1000 }))
            .collect(),
    ))
}

/// `POST /projects` with `{"name", "id"?}`: 201, `Location: …/projects/{id}`.
pub async fn create_project(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    let name = rep.get("name").and_then(Value::as_str).unwrap_or("");
    let id = rep.get("id").and_then(Value::as_str);
    let project = s.manager.create_project(&realm, name, id, &a).await?;
    let location = format!("{}/admin/realms/{realm}/projects/{}", s.public_url, project.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `GET /audit-events?client=&first=&max=`: the realm's audit log, newest first.
pub async fn audit_events(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let number = |k: &str, d: i64| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let events = s
        .manager
        .audit_events(&realm, q.get("client").map(String::as_str), number("first", 0), number("max", 100), &a)
        .await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "time": e.at * 1000,
                    "type": e.kind,
                    "actor": e.actor,
                    "clientId": e.client_id,
                    "subject": e.subject,
                    "ipAddress": e.ip,
                    "details": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
                })
            })
            .collect(),
    ))
}
