//! `/client-scopes` and a client's `default-client-scopes` / `optional-client-scopes`:
//! Keycloak's client scopes over Portcullis's realm scopes; the realm's
//! `default-default-client-scopes` and `default-optional-client-scopes` (what new clients get).

use super::{
    auth::ApiActor,
    clients::client_id_of,
    error::ApiError,
    model::{
        attribute, created, ApiJson, Attribute, ClientPath, ClientScopePath, ClientScopeRepresentation,
        ErrorRepresentation, IdPath, RealmPath,
    },
};
use crate::{
    manage::{scope::ScopeChanges, ManageError},
    state::AppState,
    store::scopes::ScopeRow,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Json,
};

fn representation(s: &ScopeRow) -> ClientScopeRepresentation {
    let text = |v: &str| Attribute(v.to_owned());
    ClientScopeRepresentation {
        id: Some(s.id.clone()),
        name: Some(s.name.clone()),
        description: Some(s.description.clone()),
        protocol: Some("openid-connect".into()),
        attributes: Some(
            [
                ("include.in.token.scope".to_owned(), text("true")),
                ("display.on.consent.screen".to_owned(), text("true")),
                ("consent.screen.text".to_owned(), text(&s.description)),
            ]
            .into(),
        ),
    }
}

/// The realm's client scopes (`view-realm` or `view-clients`)
#[utoipa::path(get, path = "/client-scopes", tag = "Client scopes", params(RealmPath),
    responses((status = 200, body = Vec<ClientScopeRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    Ok(Json(s.manager.list_scopes(&realm, &a).await?.iter().map(representation).collect()))
}

/// Create a client scope (`manage-realm`)
///
/// Its `name` is what clients ask for in `scope`; the description (or the
/// `consent.screen.text` attribute) is shown on the consent page.
#[utoipa::path(post, path = "/client-scopes", tag = "Client scopes", params(RealmPath),
    request_body = ClientScopeRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/client-scopes/{id}`)"),
        (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn create(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ClientScopeRepresentation>,
) -> Result<Response, ApiError> {
    let name = rep.name.as_deref().unwrap_or("");
    let description =
        rep.description.clone().or_else(|| attribute(&rep.attributes, "consent.screen.text")).unwrap_or_default();
    let id = s.manager.create_scope(&realm, name, &description, &a).await?;
    let location = format!("{}/admin/realms/{realm}/client-scopes/{id}", s.public_url);
    Ok(created(location))
}

/// A client scope (`view-realm` or `view-clients`)
#[utoipa::path(get, path = "/client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 200, body = ClientScopeRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<ClientScopeRepresentation>, ApiError> {
    Ok(Json(representation(&s.manager.scope(&realm, &id, &a).await?)))
}

/// Change a client scope's description (`manage-realm`)
///
/// Its name stays: it is what clients send.
#[utoipa::path(put, path = "/client-scopes/{id}", tag = "Client scopes", params(IdPath),
    request_body = ClientScopeRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn update(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<ClientScopeRepresentation>,
) -> Result<StatusCode, ApiError> {
    if let Some(description) = rep.description.as_deref() {
        s.manager.describe_scope(&realm, &id, description, &a).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a client scope (`manage-realm`)
#[utoipa::path(delete, path = "/client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn delete(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
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
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    let detail = super::clients::detail_of(s, realm, client, a).await?;
    let scopes = s.manager.list_scopes(realm, a).await?;
    Ok(Json(
        scopes
            .iter()
            .filter(|sc| detail.scopes.iter().any(|(n, d)| *n == sc.name && *d == default))
            .map(|sc| ClientScopeRepresentation {
                id: Some(sc.id.clone()),
                name: Some(sc.name.clone()),
                ..Default::default()
            })
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

/// A client's default scopes (`view-clients`): always granted when asked for or not
#[utoipa::path(get, path = "/clients/{id}/default-client-scopes", tag = "Client scopes", params(ClientPath),
    responses((status = 200, body = Vec<ClientScopeRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn defaults(
    State(s): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    linked(&s, &realm, &id, true, &a).await
}

/// A client's optional scopes (`view-clients`): granted when asked for
#[utoipa::path(get, path = "/clients/{id}/optional-client-scopes", tag = "Client scopes", params(ClientPath),
    responses((status = 200, body = Vec<ClientScopeRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn optionals(
    State(s): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    linked(&s, &realm, &id, false, &a).await
}

/// Make a scope one of a client's defaults (`manage-clients`)
#[utoipa::path(put, path = "/clients/{id}/default-client-scopes/{scope}", tag = "Client scopes",
    params(ClientScopePath), responses((status = 204, description = "Linked"), (status = 404, body = ErrorRepresentation)))]
pub async fn add_default(
    State(s): State<AppState>,
    Path(ClientScopePath { realm, id, scope }): Path<ClientScopePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, Some(true), &a).await
}

/// Make a scope one of a client's optional ones (`manage-clients`)
#[utoipa::path(put, path = "/clients/{id}/optional-client-scopes/{scope}", tag = "Client scopes",
    params(ClientScopePath), responses((status = 204, description = "Linked"), (status = 404, body = ErrorRepresentation)))]
pub async fn add_optional(
    State(s): State<AppState>,
    Path(ClientScopePath { realm, id, scope }): Path<ClientScopePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, Some(false), &a).await
}

/// Take a scope from a client's defaults (`manage-clients`)
#[utoipa::path(delete, path = "/clients/{id}/default-client-scopes/{scope}", tag = "Client scopes",
    params(ClientScopePath), responses((status = 204, description = "Unlinked"), (status = 404, body = ErrorRepresentation)))]
pub async fn remove_default(
    State(s): State<AppState>,
    Path(ClientScopePath { realm, id, scope }): Path<ClientScopePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, None, &a).await
}

/// Take a scope from a client's optional ones (`manage-clients`)
#[utoipa::path(delete, path = "/clients/{id}/optional-client-scopes/{scope}", tag = "Client scopes",
    params(ClientScopePath), responses((status = 204, description = "Unlinked"), (status = 404, body = ErrorRepresentation)))]
pub async fn remove_optional(
    State(s): State<AppState>,
    Path(ClientScopePath { realm, id, scope }): Path<ClientScopePath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    link(&s, &realm, &id, &scope, None, &a).await
}

/// The scopes every new client gets of `kind` (`default` or `optional`).
async fn for_new_clients(
    s: &AppState,
    realm: &str,
    kind: &str,
    a: &crate::manage::Actor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    let scopes = s.manager.list_scopes(realm, a).await?;
    Ok(Json(scopes.iter().filter(|sc| sc.new_clients.as_deref() == Some(kind)).map(representation).collect()))
}

/// Sets what new clients get of the scope `id` (`None`: nothing), unless it is something
/// else already and `only_if` names what it must be to be cleared.
async fn set_for_new_clients(
    s: &AppState,
    realm: &str,
    id: &str,
    kind: Option<&str>,
    only_if: Option<&str>,
    a: &crate::manage::Actor,
) -> Result<StatusCode, ApiError> {
    if let Some(must) = only_if {
        if s.manager.scope(realm, id, a).await?.new_clients.as_deref() != Some(must) {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    let changes = ScopeChanges { new_clients: Some(kind.map(str::to_owned)), ..Default::default() };
    s.manager.update_scope(realm, id, changes, a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The realm's default client scopes: every new client gets them as defaults (`view-realm` or
/// `view-clients`)
#[utoipa::path(get, path = "/default-default-client-scopes", tag = "Client scopes", params(RealmPath),
    responses((status = 200, body = Vec<ClientScopeRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_defaults(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    for_new_clients(&s, &realm, "default", &a).await
}

/// The realm's optional client scopes: every new client may ask for them (`view-realm` or
/// `view-clients`)
#[utoipa::path(get, path = "/default-optional-client-scopes", tag = "Client scopes", params(RealmPath),
    responses((status = 200, body = Vec<ClientScopeRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn realm_optionals(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ClientScopeRepresentation>>, ApiError> {
    for_new_clients(&s, &realm, "optional", &a).await
}

/// Make a scope one of the realm's default client scopes (`manage-realm`)
#[utoipa::path(put, path = "/default-default-client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 204), (status = 404, body = ErrorRepresentation)))]
pub async fn add_realm_default(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    set_for_new_clients(&s, &realm, &id, Some("default"), None, &a).await
}

/// Take a scope from the realm's default client scopes (`manage-realm`)
#[utoipa::path(delete, path = "/default-default-client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 204), (status = 404, body = ErrorRepresentation)))]
pub async fn remove_realm_default(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    set_for_new_clients(&s, &realm, &id, None, Some("default"), &a).await
}

/// Make a scope one of the realm's optional client scopes (`manage-realm`)
#[utoipa::path(put, path = "/default-optional-client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 204), (status = 404, body = ErrorRepresentation)))]
pub async fn add_realm_optional(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    set_for_new_clients(&s, &realm, &id, Some("optional"), None, &a).await
}

/// Take a scope from the realm's optional client scopes (`manage-realm`)
#[utoipa::path(delete, path = "/default-optional-client-scopes/{id}", tag = "Client scopes", params(IdPath),
    responses((status = 204), (status = 404, body = ErrorRepresentation)))]
pub async fn remove_realm_optional(
    State(s): State<AppState>,
    Path(IdPath { realm, id }): Path<IdPath>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    set_for_new_clients(&s, &realm, &id, None, Some("optional"), &a).await
}
