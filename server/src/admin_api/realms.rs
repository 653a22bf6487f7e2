//! `/admin/realms` and `/admin/realms/{realm}`: Keycloak's `RealmRepresentation` over a realm's
//! settings; partial PUT (lifespans, SSO session times, `notBefore` as Keycloak's console sends
//! it), create and delete for the master realm's administrators, and `push-revocation`.

use super::{auth::ApiActor, error::ApiError};
use crate::{
    manage::{realm::RealmChanges, ManageError},
    state::AppState,
    store::{self, realms::RealmRow},
};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

fn representation(r: &RealmRow) -> Value {
    json!({
        "id": r.id,
        "realm": r.name,
        "displayName": r.display_name,
        "enabled": r.enabled,
        "sslRequired": "external",
        "notBefore": r.not_before,
        "accessTokenLifespan": r.access_token_lifespan,
        "accessCodeLifespan": r.auth_code_lifespan,
        "ssoSessionIdleTimeout": r.sso_session_idle_timeout,
        "ssoSessionMaxLifespan": r.sso_session_max_lifespan,
        "oauth2DeviceCodeLifespan": r.device_code_lifespan,
        "oauth2DevicePollingInterval": r.device_poll_interval,
        "bruteForceProtected": true,
        "failureFactor": r.bruteforce_max_failures,
        "defaultSignatureAlgorithm": r.access_token_alg,
        "revokeRefreshToken": true,
        "attributes": {
            "oauthClientsEnabled": r.oauth_clients_enabled.to_string(),
            "retrievableClientSecrets": r.retrievable_secrets.to_string(),
        },
    })
}

fn not_found(e: ManageError) -> ApiError {
    match e {
        ManageError::NotFound(_) => ApiError::not_found("Realm not found."),
        e => e.into(),
    }
}

/// `GET /admin/realms`: the realms the caller may see (403 when none).
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Vec<Value>>, ApiError> {
    let mut conn = state.db.conn().await?;
    let realms = store::realms::list(&mut conn).await?;
    let visible: Vec<Value> = realms
        .iter()
        .filter(|r| ["view-realm", "query-clients", "query-users"].iter().any(|p| actor.can(&r.id, p)))
        .map(representation)
        .collect();
    if visible.is_empty() {
        return Err(ApiError::forbidden());
    }
    Ok(Json(visible))
}

/// `POST /admin/realms`: 201, `Location: …/admin/realms/{name}`; 409 with Keycloak's body.
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    let name = rep.get("realm").and_then(Value::as_str).unwrap_or("");
    let display = rep.get("displayName").and_then(Value::as_str);
    match state.manager.create_realm(name, display, &actor).await {
        Err(ManageError::Conflict(_)) => return Err(ApiError::conflict("Conflict detected. See logs for details")),
        other => other?,
    };
    let location = format!("{}/admin/realms/{}", state.public_url, app::components::shell::escape(name));
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `GET /admin/realms/{realm}`.
pub async fn get(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(representation(&state.manager.realm_settings(&realm, &actor).await.map_err(not_found)?)))
}

fn seconds(rep: &Value, k: &str) -> Option<i64> {
    rep.get(k).and_then(Value::as_f64).map(|v| v as i64)
}

/// `PUT /admin/realms/{realm}`: a partial merge, 204. `notBefore` may be a float (Keycloak's
/// console sends `Date.now() / 1000`); 0 clears it.
pub async fn update(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    let m = &state.manager;
    let before = m.realm_row(&realm).await.map_err(not_found)?;
    let attribute = |name: &str| {
        rep.get("attributes").and_then(|a| a.get(name)).and_then(|v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
    };
    let changes = RealmChanges {
        display_name: rep.get("displayName").and_then(Value::as_str).map(str::to_owned),
        oauth_clients_enabled: attribute("oauthClientsEnabled"),
        access_token_lifespan: seconds(&rep, "accessTokenLifespan"),
        refresh_token_lifespan: None,
        sso_session_idle_timeout: seconds(&rep, "ssoSessionIdleTimeout"),
        sso_session_max_lifespan: seconds(&rep, "ssoSessionMaxLifespan"),
        retrievable_secrets: attribute("retrievableClientSecrets"),
    };
    m.update_realm(&realm, changes, &actor).await?;
    if let Some(nb) = seconds(&rep, "notBefore").filter(|nb| *nb != before.not_before) {
        m.set_realm_not_before(&realm, Some(nb), &actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/realms/{realm}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    state.manager.delete_realm(&realm, &actor).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/realms/{realm}/push-revocation` (and a client's): Portcullis has no adapters to
/// push to (its resource servers check tokens themselves), so Keycloak's empty result.
pub async fn push_revocation(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let row = state.manager.realm_row(&realm).await.map_err(not_found)?;
    if !actor.can(&row.id, "manage-realm") && !actor.can(&row.id, "manage-clients") {
        return Err(ApiError::forbidden());
    }
    Ok(Json(json!({ "successRequests": [], "failedRequests": [] })))
}

/// `POST /admin/realms/{realm}/logout-all`: every session of the realm ends.
pub async fn logout_all(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    state.manager.log_out(&realm, None, &actor).await.map_err(not_found)?;
    Ok(Json(json!({ "successRequests": [], "failedRequests": [] })))
}

/// `POST /admin/realms/{realm}/clients/{id}/push-revocation`.
pub async fn push_revocation_of_client(
    state: State<AppState>,
    Path((realm, _)): Path<(String, String)>,
    actor: ApiActor,
) -> Result<Json<Value>, ApiError> {
    push_revocation(state, Path(realm), actor).await
}

/// `GET /admin/serverinfo`: what scripts read, for anyone holding an admin permission.
pub async fn server_info(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Value>, ApiError> {
    let mut conn = state.db.conn().await?;
    let realms = store::realms::list(&mut conn).await?;
    let admin = realms.iter().any(|r| crate::manage::admin_roles::PERMISSIONS.iter().any(|(p, _)| actor.can(&r.id, p)));
    if !admin {
        return Err(ApiError::forbidden());
    }
    Ok(Json(json!({
        "systemInfo": {
            "version": concat!("portcullis-", env!("CARGO_PKG_VERSION")),
            "serverTime": state.now(),
            "uptimeMillis": 0,
        },
        "profileInfo": { "name": "portcullis", "disabledFeatures": [], "previewFeatures": [], "experimentalFeatures": [] },
        "builtinProtocolMappers": {},
        "clientInstallations": {},
        "componentTypes": {},
        "passwordPolicies": [],
        "enums": {},
        "themes": {},
        "providers": {},
        "protocolMapperTypes": {},
        "identityProviders": [],
        "clientImporters": [],
    })))
}
