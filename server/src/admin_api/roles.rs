//! Realm roles (`/roles`, `/roles-by-id/{id}`) and a client's roles (`/clients/{id}/roles`):
//! Keycloak's `RoleRepresentation` over the roles `manage::role` keeps. A deleted role is taken
//! from whoever holds it, as in Keycloak.

use super::{auth::ApiActor, clients::client_id_of, error::ApiError};
use crate::{manage::ManageError, state::AppState, store};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Keycloak's representation of a role of `container` (the realm's id, or the client's).
fn representation(id: &str, name: &str, description: &str, client: bool, container: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "description": description,
        "composite": false,
        "clientRole": client,
        "containerId": container,
        "attributes": {},
    })
}

/// Whose roles a request is about: the realm's, or the client with internal id `client`.
struct Owner {
    realm: String,
    realm_id: String,
    /// `(internal id, clientId)`.
    client: Option<(String, String)>,
}

impl Owner {
    async fn of(
        state: &AppState,
        realm: &str,
        client: Option<&str>,
        actor: &crate::manage::Actor,
    ) -> Result<Self, ApiError> {
        let row = state.manager.realm_row(realm).await.map_err(|_| ApiError::not_found("Realm not found."))?;
        let client = match client {
            Some(id) => Some((id.to_owned(), client_id_of(state, realm, id, actor).await?)),
            None => None,
        };
        Ok(Owner { realm: realm.to_owned(), realm_id: row.id, client })
    }

    fn client_id(&self) -> Option<&str> {
        self.client.as_ref().map(|(_, c)| c.as_str())
    }

    fn container(&self) -> &str {
        self.client.as_ref().map(|(pk, _)| pk.as_str()).unwrap_or(&self.realm_id)
    }

    async fn list(&self, state: &AppState, actor: &crate::manage::Actor) -> Result<Vec<Value>, ApiError> {
        let roles = state.manager.list_roles(&self.realm, self.client_id(), actor).await?;
        let client = self.client.is_some();
        Ok(roles.iter().map(|r| representation(&r.id, &r.name, &r.description, client, self.container())).collect())
    }

    async fn find(&self, state: &AppState, name: &str, actor: &crate::manage::Actor) -> Result<Value, ApiError> {
        let roles = self.list(state, actor).await?;
        roles.into_iter().find(|r| r["name"] == name).ok_or_else(|| ApiError::not_found("Could not find role"))
    }
}

fn page(roles: Vec<Value>, q: &HashMap<String, String>) -> Vec<Value> {
    let search = q.get("search").map(|s| s.to_lowercase());
    let first = q.get("first").and_then(|f| f.parse().ok()).unwrap_or(0usize);
    let max = q.get("max").and_then(|m| m.parse().ok()).unwrap_or(usize::MAX);
    roles
        .into_iter()
        .filter(|r| search.as_ref().is_none_or(|s| r["name"].as_str().unwrap_or("").to_lowercase().contains(s)))
        .skip(first)
        .take(max)
        .collect()
}

async fn list(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    q: &HashMap<String, String>,
    actor: &crate::manage::Actor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    Ok(Json(page(owner.list(state, actor).await?, q)))
}

async fn create(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    rep: Value,
    actor: &crate::manage::Actor,
) -> Result<Response, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    let name = rep.get("name").and_then(Value::as_str).unwrap_or("");
    let description = rep.get("description").and_then(Value::as_str).unwrap_or("");
    match state.manager.create_role(realm, owner.client_id(), name, description, actor).await {
        Err(ManageError::Conflict(_)) => {
            return Err(ApiError::conflict(format!("Role with name {name} already exists")))
        }
        other => other?,
    }
    let base = match &owner.client {
        Some((pk, _)) => format!("{}/admin/realms/{realm}/clients/{pk}/roles", state.public_url),
        None => format!("{}/admin/realms/{realm}/roles", state.public_url),
    };
    let location = format!("{base}/{}", app::components::shell::escape(name));
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

async fn update(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    name: &str,
    rep: Value,
    actor: &crate::manage::Actor,
) -> Result<StatusCode, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    owner.find(state, name, actor).await?;
    if let Some(description) = rep.get("description").and_then(Value::as_str) {
        state.manager.update_role(realm, owner.client_id(), name, description, actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    name: &str,
    actor: &crate::manage::Actor,
) -> Result<StatusCode, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    owner.find(state, name, actor).await?;
    state.manager.delete_role(realm, owner.client_id(), name, true, actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /roles`.
pub async fn realm_list(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    list(&s, &realm, None, &q, &a).await
}

/// `POST /roles`: 201, `Location: …/roles/{name}`.
pub async fn realm_create(
    State(s): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    create(&s, &realm, None, rep, &a).await
}

/// `GET /roles/{name}`.
pub async fn realm_get(
    State(s): State<AppState>,
    Path((realm, name)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(Owner::of(&s, &realm, None, &a).await?.find(&s, &name, &a).await?))
}

/// `PUT /roles/{name}`: 204.
pub async fn realm_update(
    State(s): State<AppState>,
    Path((realm, name)): Path<(String, String)>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    update(&s, &realm, None, &name, rep, &a).await
}

/// `DELETE /roles/{name}`: 204.
pub async fn realm_delete(
    State(s): State<AppState>,
    Path((realm, name)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    delete(&s, &realm, None, &name, &a).await
}

/// `GET /clients/{id}/roles`.
pub async fn client_list(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    list(&s, &realm, Some(&id), &q, &a).await
}

/// `POST /clients/{id}/roles`: 201, `Location: …/roles/{name}`.
pub async fn client_create(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    create(&s, &realm, Some(&id), rep, &a).await
}

/// `GET /clients/{id}/roles/{name}`.
pub async fn client_get(
    State(s): State<AppState>,
    Path((realm, id, name)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(Owner::of(&s, &realm, Some(&id), &a).await?.find(&s, &name, &a).await?))
}

/// `PUT /clients/{id}/roles/{name}`: 204.
pub async fn client_update(
    State(s): State<AppState>,
    Path((realm, id, name)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    update(&s, &realm, Some(&id), &name, rep, &a).await
}

/// `DELETE /clients/{id}/roles/{name}`: 204.
pub async fn client_delete(
    State(s): State<AppState>,
    Path((realm, id, name)): Path<(String, String, String)>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    delete(&s, &realm, Some(&id), &name, &a).await
}

/// `GET /roles-by-id/{id}`.
pub async fn by_id(
    State(s): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(a): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let owner = Owner::of(&s, &realm, None, &a).await?;
    // Reading roles needs what reading realm roles needs.
    s.manager.list_roles(&realm, None, &a).await?;
    let mut conn = s.db.conn().await?;
    let role = store::roles::owned_by_id(&mut conn, &owner.realm_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("Could not find role"))?;
    let container = match &role.client_id {
        Some(c) => store::clients::by_client_id(&mut conn, &owner.realm_id, c).await?.map(|c| c.id).unwrap_or_default(),
        None => owner.realm_id.clone(),
    };
    Ok(Json(representation(&role.id, &role.name, &role.description, role.client_id.is_some(), &container)))
}
