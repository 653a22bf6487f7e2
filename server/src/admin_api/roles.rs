//! Realm roles (`/roles`, `/roles-by-id/{id}`) and a client's roles (`/clients/{id}/roles`):
//! Keycloak's `RoleRepresentation` over the roles `manage::role` keeps. A deleted role is taken
//! from whoever holds it, as in Keycloak.

use super::{
    auth::ApiActor,
    clients::client_id_of,
    error::ApiError,
    model::{
        created, query_number, ApiJson, ClientPath, ClientRolePath, ErrorRepresentation, IdPath, RealmPath, RolePath,
        RoleRepresentation,
    },
};
use crate::{manage::ManageError, state::AppState, store};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    Json,
};
use std::collections::HashMap;

/// Keycloak's representation of a role of `container` (the realm's id, or the client's).
pub(super) fn representation(
    id: &str,
    name: &str,
    description: &str,
    client: bool,
    container: &str,
) -> RoleRepresentation {
    RoleRepresentation {
        id: Some(id.to_owned()),
        name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        composite: Some(false),
        client_role: Some(client),
        container_id: Some(container.to_owned()),
        attributes: Some(Default::default()),
    }
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

    async fn list(&self, state: &AppState, actor: &crate::manage::Actor) -> Result<Vec<RoleRepresentation>, ApiError> {
        let roles = state.manager.list_roles(&self.realm, self.client_id(), actor).await?;
        let client = self.client.is_some();
        Ok(roles.iter().map(|r| representation(&r.id, &r.name, &r.description, client, self.container())).collect())
    }

    async fn find(
        &self,
        state: &AppState,
        name: &str,
        actor: &crate::manage::Actor,
    ) -> Result<RoleRepresentation, ApiError> {
        let roles = self.list(state, actor).await?;
        roles
            .into_iter()
            .find(|r| r.name.as_deref() == Some(name))
            .ok_or_else(|| ApiError::not_found("Could not find role"))
    }
}

fn page(roles: Vec<RoleRepresentation>, q: &HashMap<String, String>) -> Vec<RoleRepresentation> {
    let search = q.get("search").map(|s| s.to_lowercase());
    let (first, max) = (query_number(q, "first", 0), query_number(q, "max", usize::MAX));
    roles
        .into_iter()
        .filter(|r| search.as_ref().is_none_or(|s| r.name.as_deref().unwrap_or("").to_lowercase().contains(s)))
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
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    Ok(Json(page(owner.list(state, actor).await?, q)))
}

async fn create(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    rep: RoleRepresentation,
    actor: &crate::manage::Actor,
) -> Result<Response, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    let name = rep.name.as_deref().unwrap_or("");
    let description = rep.description.as_deref().unwrap_or("");
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
    Ok(created(location))
}

async fn update(
    state: &AppState,
    realm: &str,
    client: Option<&str>,
    name: &str,
    rep: RoleRepresentation,
    actor: &crate::manage::Actor,
) -> Result<StatusCode, ApiError> {
    let owner = Owner::of(state, realm, client, actor).await?;
    owner.find(state, name, actor).await?;
    if let Some(description) = rep.description.as_deref() {
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

/// The realm's roles (`view-realm`)
#[utoipa::path(get, path = "/roles", tag = "Roles", params(RealmPath, ("first" = Option<i64>, Query, description = "How many to skip"), ("max" = Option<i64>, Query, description = "How many at most"), ("search" = Option<String>, Query, description = "A part of the name")),
    responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_list(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    list(&s, &realm, None, &q, &a).await
}

/// Create a realm role (`manage-realm`)
#[utoipa::path(post, path = "/roles", tag = "Roles", params(RealmPath), request_body = RoleRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/roles/{name}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn realm_create(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<RoleRepresentation>,
) -> Result<Response, ApiError> {
    create(&s, &realm, None, rep, &a).await
}

/// A realm role, by name (`view-realm`)
#[utoipa::path(get, path = "/roles/{name}", tag = "Roles", params(RolePath),
    responses((status = 200, body = RoleRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_get(
    State(s): State<AppState>,
    Path(RolePath { realm, name }): Path<RolePath>,
    ApiActor(a): ApiActor,
) -> Result<Json<RoleRepresentation>, ApiError> {
    Ok(Json(Owner::of(&s, &realm, None, &a).await?.find(&s, &name, &a).await?))
}

/// Change a realm role's description (`manage-realm`)
#[utoipa::path(put, path = "/roles/{name}", tag = "Roles", params(RolePath), request_body = RoleRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_update(
    State(s): State<AppState>,
    Path(RolePath { realm, name }): Path<RolePath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<RoleRepresentation>,
) -> Result<StatusCode, ApiError> {
    update(&s, &realm, None, &name, rep, &a).await
}

/// Delete a realm role, taking it from whoever holds it (`manage-realm`)
#[utoipa::path(delete, path = "/roles/{name}", tag = "Roles", params(RolePath),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_delete(
    State(s): State<AppState>,
    Path(RolePath { realm, name }): Path<RolePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    delete(&s, &realm, None, &name, &a).await
}

/// A client's roles (`view-clients`)
#[utoipa::path(get, path = "/clients/{id}/roles", tag = "Roles", params(ClientPath, ("first" = Option<i64>, Query, description = "How many to skip"), ("max" = Option<i64>, Query, description = "How many at most"), ("search" = Option<String>, Query, description = "A part of the name")),
    responses((status = 200, body = Vec<RoleRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn client_list(
    State(s): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RoleRepresentation>>, ApiError> {
    list(&s, &realm, Some(&id), &q, &a).await
}

/// Create a client role (`manage-clients`)
#[utoipa::path(post, path = "/clients/{id}/roles", tag = "Roles", params(ClientPath), request_body = RoleRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/roles/{name}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn client_create(
    State(s): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<RoleRepresentation>,
) -> Result<Response, ApiError> {
    create(&s, &realm, Some(&id), rep, &a).await
}

/// A client role, by name (`view-clients`)
#[utoipa::path(get, path = "/clients/{id}/roles/{name}", tag = "Roles", params(ClientRolePath),
    responses((status = 200, body = RoleRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn client_get(
    State(s): State<AppState>,
    Path(ClientRolePath { realm, id, name }): Path<ClientRolePath>,
    ApiActor(a): ApiActor,
) -> Result<Json<RoleRepresentation>, ApiError> {
    Ok(Json(Owner::of(&s, &realm, Some(&id), &a).await?.find(&s, &name, &a).await?))
}

/// Change a client role's description (`manage-clients`)
#[utoipa::path(put, path = "/clients/{id}/roles/{name}", tag = "Roles", params(ClientRolePath),
    request_body = RoleRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn client_update(
    State(s): State<AppState>,
    Path(ClientRolePath { realm, id, name }): Path<ClientRolePath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<RoleRepresentation>,
) -> Result<StatusCode, ApiError> {
    update(&s, &realm, Some(&id), &name, rep, &a).await
}

/// Delete a client role, taking it from whoever holds it (`manage-clients`)
#[utoipa::path(delete, path = "/clients/{id}/roles/{name}", tag = "Roles", params(ClientRolePath),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn client_delete(
    State(s): State<AppState>,
    Path(ClientRolePath { realm, id, name }): Path<ClientRolePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    delete(&s, &realm, Some(&id), &name, &a).await
}

/// A realm's or a client's role, by id (`view-realm`)
#[utoipa::path(get, path = "/roles-by-id/{id}", tag = "Roles", params(IdPath),
    responses((status = 200, body = RoleRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn by_id(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<RoleRepresentation>, ApiError> {
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
