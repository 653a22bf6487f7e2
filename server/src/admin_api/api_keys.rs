//! API keys (Portcullis), under the admin API's conventions: `GET|POST /api-keys`,
//! `GET|PUT|DELETE /api-keys/{id}`. The create answers 201 with `Location` like every create,
//! and, unlike Keycloak's empty body, the key itself: the only time it is ever shown.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{query_number, ApiJson, ErrorRepresentation, IdPath, RealmPath},
};
use crate::{
    manage::{
        api_key::{ApiKeyInfo, NewApiKey},
        service_account::RoleRef,
    },
    state::AppState,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// An API key (Portcullis): a long-lived credential for the admin API and for resource servers
/// (introspection reports it as `token_type: api_key`).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRepresentation {
    pub id: Option<String>,
    /// 1–200 characters.
    pub name: Option<String>,
    /// Roles the key holds: `name` for a realm role, `client:name` for a client role. Each one its
    /// creator must hold.
    pub roles: Option<Vec<String>>,
    /// Project ids the key is limited to; none or absent: not limited.
    pub projects: Option<Vec<String>>,
    /// On create or update: seconds until it stops working (60 to ten years); absent or `null`
    /// on create: never. On update, `0` removes the expiry.
    pub expires_in: Option<i64>,
    /// Milliseconds since the epoch; absent when it never expires.
    pub expires_timestamp: Option<i64>,
    pub created_timestamp: Option<i64>,
    /// Who made it.
    pub created_by: Option<String>,
    pub last_used_timestamp: Option<i64>,
    pub revoked_timestamp: Option<i64>,
    /// Only in the answer to a create: the key (`pcs_…`), never shown again.
    pub key: Option<String>,
}

fn representation(k: ApiKeyInfo) -> ApiKeyRepresentation {
    let ms = |s: Option<i64>| s.map(|s| s * 1000);
    ApiKeyRepresentation {
        id: Some(k.row.id),
        name: Some(k.row.name),
        roles: Some(k.roles.iter().map(RoleRef::key).collect()),
        projects: Some(k.projects),
        expires_in: None,
        expires_timestamp: ms(k.row.expires_at),
        created_timestamp: Some(k.row.created_at * 1000),
        created_by: Some(k.row.created_by),
        last_used_timestamp: ms(k.row.last_used_at),
        revoked_timestamp: ms(k.row.revoked_at),
        key: None,
    }
}

/// The API keys the caller may see, newest first (every key with `view-realm`, else the
/// caller's own)
#[utoipa::path(get, path = "/api-keys", tag = "Portcullis",
    params(RealmPath,
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most (100 by default, 1000 at most)")),
    responses((status = 200, body = Vec<ApiKeyRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ApiKeyRepresentation>>, ApiError> {
    let (first, max) = (query_number(&q, "first", 0), query_number(&q, "max", 100));
    let keys = s.manager.list_api_keys(&realm, &a, first, max).await?;
    Ok(Json(keys.into_iter().map(representation).collect()))
}

/// Make an API key (any administrator of the realm; an API key cannot make keys)
///
/// Answers 201 with `Location` and the representation with `key`, shown this once.
#[utoipa::path(post, path = "/api-keys", tag = "Portcullis", params(RealmPath), request_body = ApiKeyRepresentation,
    responses((status = 201, body = ApiKeyRepresentation, description = "Made; `key` is never shown again"),
        (status = 400, body = ErrorRepresentation), (status = 403, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn create(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ApiKeyRepresentation>,
) -> Result<Response, ApiError> {
    let new = NewApiKey {
        name: rep.name.unwrap_or_default(),
        projects: rep.projects.unwrap_or_default(),
        roles: rep.roles.unwrap_or_default().iter().map(|r| RoleRef::parse(r)).collect(),
        expires_in: rep.expires_in,
    };
    let (row, key) = s.manager.create_api_key(&realm, new, &a).await?;
    let info = s.manager.api_key(&realm, &row.id, &a).await?;
    let location = format!("{}/admin/realms/{realm}/api-keys/{}", s.public_url, row.id);
    let body = ApiKeyRepresentation { key: Some(key), ..representation(info) };
    Ok((StatusCode::CREATED, [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".into())], Json(body))
        .into_response())
}

/// One API key
#[utoipa::path(get, path = "/api-keys/{id}", tag = "Portcullis", params(IdPath),
    responses((status = 200, body = ApiKeyRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<ApiKeyRepresentation>, ApiError> {
    Ok(Json(representation(s.manager.api_key(&realm, &id, &a).await?)))
}

/// Rename a key or change its expiry (`manage-realm`, or its maker)
///
/// `name` and `expiresIn` are each changed only when present; `expiresIn: 0` removes the expiry.
#[utoipa::path(put, path = "/api-keys/{id}", tag = "Portcullis", params(IdPath), request_body = ApiKeyRepresentation,
    responses((status = 204), (status = 400, body = ErrorRepresentation), (status = 403, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn update(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ApiKeyRepresentation>,
) -> Result<StatusCode, ApiError> {
    let expires_in = rep.expires_in.map(|s| (s != 0).then_some(s));
    s.manager.update_api_key(&realm, &id, rep.name.as_deref(), expires_in, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke a key (`manage-realm`, or its maker): it stops working at once
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "Portcullis", params(IdPath),
    responses((status = 204), (status = 403, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation),
        (status = 409, body = ErrorRepresentation)))]
pub async fn revoke(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.manager.revoke_api_key(&realm, &id, &a).await?;
    Ok(StatusCode::NO_CONTENT)
}
