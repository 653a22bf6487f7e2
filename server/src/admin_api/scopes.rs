//! `/client-scopes` and a client's `default-client-scopes` / `optional-client-scopes`:
//! Keycloak's client scopes over Portcullis's realm scopes.

use super::{auth::ApiActor, clients::client_id_of, error::ApiError};
use crate::{manage::ManageError, state::AppState, store::scopes::ScopeRow};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

fn representation(s: &ScopeRow) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "protocol": "openid-connect",
        "attributes": {
            "include.in.token.scope": "true",
            "display.on.consent.screen": "true",
            "consent.screen.text": s.description,
        },
    })
}

/// `GET /client-scopes`.
pub async fn list(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(s.manager.list_scopes(&realm, &a).await?.iter().map(representation).collect()))
}

/// `POST /client-scopes`: 201, `Location: …/client-scopes/{id}`.
pub async fn create(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    let name = rep.get("name").and_then(Value::as_str).unwrap_or("");
    let description = rep
        .get("description")
        .and_then(Value::as_str)
        .or_else(|| rep.pointer("/attributes/consent.screen.text").and_then(Value::as_str))
        .unwrap_or("");
    let id = s.manager.create_scope(&realm, name, description, &a).await?;
    let location = format!("{}/admin/realms/{realm}/client-scopes/{id}", s.public_url);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `GET /client-scopes/{id}`.
pub async fn get(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(representation(&s.manager.scope(&realm, &id, &a).await?)))
}

/// `PUT /client-scopes/{id}`: 204 (the description; a scope's name is what clients send).
pub async fn update(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    if let Some(description) = rep.get("description").and_then(Value::as_str) {
        s.manager.describe_scope(&realm, &id, description, &a).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /client-scopes/{id}`: 204.
pub async fn delete(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.delete_scope(&realm, &id, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn linked(
    s: &AppState,
    realm: &str,
    client: &str,
    default: bool,
    a: &crate::manage::Actor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let detail = super::clients::detail_of(s, realm, client, a).await?;
    let scopes = s.manager.list_scopes(realm, a).await?;
    Ok(Json(
        scopes
            .iter()
            .filter(|sc| detail.scopes.iter().any(|(n, d)| *n == sc.name && *d == default))
            .map(|sc| json!({ "id": sc.id, "name": sc.name }))
            .collect(),
    ))
}

async fn link(
    s: &AppState,
    realm: &str,
    client: &str,
    scope: &str,
    how: Option<bool>,
    a: &crate::manage::Actor,
) -> Result<StatusCode, ApiError> {
    let client_id = client_id_of(s, realm, client, a).await?;
    match s.manager.link_client_scope(realm, &client_id, scope, how, a).await {
        Err(ManageError::NotFound(m)) => Err(ApiError::not_found(&m)),
        other => other.map(|_| StatusCode::NO_CONTENT).map_err(Into::into),
    }
}

/// `GET /clients/{id}/default-client-scopes`.
pub async fn defaults(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    linked(&s, &realm, &id, true, &a).await
}

/// `GET /clients/{id}/optional-client-scopes`.
pub async fn optionals(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    linked(&s, &realm, &id, false, &a).await
}

/// `PUT /clients/{id}/default-client-scopes/{scope}`: 204.
pub async fn add_default(
    State(s): State<AppState>,
    Path((realm, id, scope)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, Some(true), &a).await
}

/// `PUT /clients/{id}/optional-client-scopes/{scope}`: 204.
pub async fn add_optional(
    State(s): State<AppState>,
    Path((realm, id, scope)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, Some(false), &a).await
}

/// `DELETE /clients/{id}/default-client-scopes/{scope}` (and optional): 204.
pub async fn remove(
    State(s): State<AppState>,
    Path((realm, id, scope)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, None, &a).await
}
