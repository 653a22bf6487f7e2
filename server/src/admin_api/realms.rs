//! `/admin/realms` and `/admin/realms/{realm}`: Keycloak's `RealmRepresentation` over a realm's
//! settings; partial PUT (lifespans, SSO session times, `notBefore` as Keycloak's console sends
//! it), create and delete for the master realm's administrators, and `push-revocation`.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{
        attribute, created, ApiJson, Attribute, ClientPath, ErrorRepresentation, GlobalRequestResult, ProfileInfo,
        RealmPath, RealmRepresentation, ServerInfo, SystemInfo,
    },
};
use crate::{
    manage::{realm::RealmChanges, ManageError},
    state::AppState,
    store::{self, realms::RealmRow},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Json,
};
use serde_json::json;

fn representation(r: &RealmRow) -> RealmRepresentation {
    let text = |b: bool| Attribute(b.to_string());
    RealmRepresentation {
        id: Some(r.id.clone()),
        realm: Some(r.name.clone()),
        display_name: Some(r.display_name.clone()),
        enabled: Some(r.enabled),
        ssl_required: Some("external".into()),
        not_before: Some(r.not_before),
        access_token_lifespan: Some(r.access_token_lifespan),
        access_code_lifespan: Some(r.auth_code_lifespan),
        sso_session_idle_timeout: Some(r.sso_session_idle_timeout),
        sso_session_max_lifespan: Some(r.sso_session_max_lifespan),
        device_code_lifespan: Some(r.device_code_lifespan),
        device_polling_interval: Some(r.device_poll_interval),
        brute_force_protected: Some(true),
        failure_factor: Some(r.bruteforce_max_failures),
        default_signature_algorithm: Some(r.access_token_alg.clone()),
        revoke_refresh_token: Some(true),
        attributes: Some(
            [
                ("oauthClientsEnabled".to_owned(), text(r.oauth_clients_enabled)),
                ("retrievableClientSecrets".to_owned(), text(r.retrievable_secrets)),
            ]
            .into(),
        ),
    }
}

fn not_found(e: ManageError) -> ApiError {
    match e {
        ManageError::NotFound(_) => ApiError::not_found("Realm not found."),
        e => e.into(),
    }
}

/// The realms the caller may see
///
/// A realm is listed to whoever may view its settings, clients or users; 403 when none.
#[utoipa::path(get, path = "/admin/realms", tag = "Realms",
    responses((status = 200, body = Vec<RealmRepresentation>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<RealmRepresentation>>, ApiError> {
    let visible: Vec<RealmRepresentation> =
        state.manager.list_realms(&actor).await?.iter().map(representation).collect();
    if visible.is_empty() {
        return Err(ApiError::forbidden());
    }
    Ok(Json(visible))
}

/// Create a realm
///
/// Needs the master realm's `admin` role. 201 with `Location: …/admin/realms/{name}`.
#[utoipa::path(post, path = "/admin/realms", tag = "Realms", request_body = RealmRepresentation,
    responses((status = 201, description = "Created; `Location` names it"),
        (status = 400, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<RealmRepresentation>,
) -> Result<Response, ApiError> {
    let name = rep.realm.as_deref().unwrap_or("");
    match state.manager.create_realm(name, rep.display_name.as_deref(), &actor).await {
        Err(ManageError::Conflict(_)) => return Err(ApiError::conflict("Conflict detected. See logs for details")),
        other => other?,
    };
    let location = format!("{}/admin/realms/{}", state.public_url, app::components::shell::escape(name));
    Ok(created(location))
}

/// A realm's settings (`view-realm`)
#[utoipa::path(get, path = "/", tag = "Realms", params(RealmPath),
    responses((status = 200, body = RealmRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<RealmRepresentation>, ApiError> {
    Ok(Json(representation(&state.manager.realm_settings(&realm, &actor).await.map_err(not_found)?)))
}

/// Change a realm's settings (`manage-realm`)
///
/// A partial merge: the display name, the lifespans, the SSO session times, `notBefore`
/// (seconds, a float is taken; 0 clears it) and the `oauthClientsEnabled` and
/// `retrievableClientSecrets` attributes.
#[utoipa::path(put, path = "/", tag = "Realms", params(RealmPath), request_body = RealmRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn update(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<RealmRepresentation>,
) -> Result<StatusCode, ApiError> {
    let m = &state.manager;
    let before = m.realm_row(&realm).await.map_err(not_found)?;
    let switch = |name: &str| attribute(&rep.attributes, name).and_then(|v| v.parse().ok());
    let changes = RealmChanges {
        display_name: rep.display_name.clone(),
        oauth_clients_enabled: switch("oauthClientsEnabled"),
        access_token_lifespan: rep.access_token_lifespan,
        refresh_token_lifespan: None,
        sso_session_idle_timeout: rep.sso_session_idle_timeout,
        sso_session_max_lifespan: rep.sso_session_max_lifespan,
        retrievable_secrets: switch("retrievableClientSecrets"),
    };
    m.update_realm(&realm, changes, &actor).await?;
    if let Some(nb) = rep.not_before.filter(|nb| *nb != before.not_before) {
        m.set_realm_not_before(&realm, Some(nb), &actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a realm and everything in it (master `admin`)
#[utoipa::path(delete, path = "/", tag = "Realms", params(RealmPath),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorRepresentation)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.delete_realm(&realm, &actor).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pushed(
    state: &AppState,
    realm: &str,
    actor: &crate::manage::Actor,
) -> Result<Json<GlobalRequestResult>, ApiError> {
    let row = state.manager.realm_row(realm).await.map_err(not_found)?;
    actor.require_any(&row.id, &["manage-realm", "manage-clients"])?;
    Ok(Json(GlobalRequestResult::default()))
}

/// Push the realm's not-before to its clients (`manage-realm` or `manage-clients`)
///
/// Portcullis has no adapters to push to (its resource servers check tokens themselves), so
/// Keycloak's empty result.
#[utoipa::path(post, path = "/push-revocation", tag = "Realms", params(RealmPath),
    responses((status = 200, body = GlobalRequestResult), (status = 404, body = ErrorRepresentation)))]
pub async fn push_revocation(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<GlobalRequestResult>, ApiError> {
    pushed(&state, &realm, &actor).await
}

/// End every session of the realm (`manage-users`)
#[utoipa::path(post, path = "/logout-all", tag = "Realms", params(RealmPath),
    responses((status = 200, body = GlobalRequestResult), (status = 404, body = ErrorRepresentation)))]
pub async fn logout_all(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<GlobalRequestResult>, ApiError> {
    state.manager.log_out(&realm, None, &actor).await.map_err(not_found)?;
    Ok(Json(GlobalRequestResult::default()))
}

/// Push a client's not-before (`manage-clients`): Keycloak's empty result
#[utoipa::path(post, path = "/clients/{id}/push-revocation", tag = "Clients", params(ClientPath),
    responses((status = 200, body = GlobalRequestResult), (status = 404, body = ErrorRepresentation)))]
pub async fn push_revocation_of_client(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<GlobalRequestResult>, ApiError> {
    super::clients::client_id_of(&state, &realm, &id, &actor).await?;
    pushed(&state, &realm, &actor).await
}

/// The server's version and the catalogues scripts read (any admin permission)
#[utoipa::path(get, path = "/admin/serverinfo", tag = "Server info",
    responses((status = 200, body = ServerInfo)))]
pub async fn server_info(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<ServerInfo>, ApiError> {
    let mut conn = state.db.conn().await?;
    let realms = store::realms::list(&mut conn).await?;
    let admin = realms.iter().any(|r| crate::manage::admin_roles::PERMISSIONS.iter().any(|(p, _)| actor.can(&r.id, p)));
    if !admin {
        return Err(ApiError::forbidden());
    }
    Ok(Json(ServerInfo {
        system_info: SystemInfo {
            version: concat!("portcullis-", env!("CARGO_PKG_VERSION")).into(),
            server_time: state.now(),
            uptime_millis: 0,
        },
        profile_info: ProfileInfo { name: "portcullis".into(), ..Default::default() },
        builtin_protocol_mappers: json!({}),
        client_installations: json!({}),
        component_types: json!({}),
        password_policies: json!([]),
        enums: json!({}),
        themes: json!({}),
        providers: json!({}),
        protocol_mapper_types: json!({}),
        identity_providers: json!([]),
        client_importers: json!([]),
    }))
}
