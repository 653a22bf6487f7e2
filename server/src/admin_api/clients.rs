//! `/admin/realms/{realm}/clients…`: Keycloak's `ClientRepresentation` over Portcullis's
//! clients. `{id}` is the client's internal id (Keycloak's UUID), never its `clientId`. A new
//! client's template follows from the representation's switches (`publicClient`, the flows,
//! the device grant attribute); `attributes` is Keycloak's string map (`access.token.lifespan`,
//! `pkce.code.challenge.method`, `post.logout.redirect.uris`, …) over the typed settings.

use super::{auth::ApiActor, error::ApiError};
use crate::{
    manage::{
        client::{ClientOptions, NewClient},
        client_query::ClientDetail,
        client_update::ClientChanges,
        Actor, ManageError,
    },
    oauth::access_token::service_account_username,
    state::AppState,
    store::{self, clients::ClientRow},
};
use axum::{
    extract::{Path, Query, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const DEVICE_ATTRIBUTE: &str = "oauth2.device.authorization.grant.enabled";

fn has(row: &ClientRow, grant: &str) -> bool {
    row.grant_types.split_whitespace().any(|g| g == grant)
}

fn string_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Keycloak's representation of a client (`scopes`: `(name, default)`, when known).
fn representation(row: &ClientRow, scopes: Option<&[(String, bool)]>, secret_made: Option<i64>) -> Value {
    let flag = |on: bool| if on { "true" } else { "false" }.to_owned();
    let mut attributes = Map::new();
    if let Some(l) = row.access_token_lifespan {
        attributes.insert("access.token.lifespan".into(), json!(l.to_string()));
    }
    attributes.insert(DEVICE_ATTRIBUTE.into(), json!(flag(has(row, DEVICE_GRANT))));
    attributes.insert("use.refresh.tokens".into(), json!(flag(has(row, "refresh_token"))));
    if row.pkce_required {
        attributes.insert("pkce.code.challenge.method".into(), json!("S256"));
    }
    attributes
        .insert("post.logout.redirect.uris".into(), json!(string_list(&row.post_logout_redirect_uris).join("##")));
    if let Some(t) = secret_made {
        attributes.insert("client.secret.creation.time".into(), json!(t.to_string()));
    }
    let mut rep = json!({
        "id": row.id,
        "clientId": row.client_id,
        "name": row.name,
        "description": row.description,
        "enabled": row.enabled,
        "publicClient": !row.confidential,
        "bearerOnly": false,
        "clientAuthenticatorType": "client-secret",
        "redirectUris": string_list(&row.redirect_uris),
        "webOrigins": string_list(&row.web_origins),
        "standardFlowEnabled": has(row, "authorization_code"),
        "implicitFlowEnabled": has(row, "implicit"),
        "directAccessGrantsEnabled": has(row, "password"),
        "serviceAccountsEnabled": has(row, "client_credentials"),
        "consentRequired": row.consent_required,
        "fullScopeAllowed": row.full_scope_allowed,
        "protocol": "openid-connect",
        "notBefore": row.not_before,
        "attributes": attributes,
        "access": { "view": true, "configure": true, "manage": true },
    });
    if let Some(scopes) = scopes {
        let names =
            |default: bool| scopes.iter().filter(|(_, d)| *d == default).map(|(n, _)| n.clone()).collect::<Vec<_>>();
        rep["defaultClientScopes"] = json!(names(true));
        rep["optionalClientScopes"] = json!(names(false));
    }
    rep
}

fn detail_representation(d: &ClientDetail) -> Value {
    let made = d.secrets.iter().find(|s| s.expires_at.is_none()).map(|s| s.created_at);
    representation(&d.client, Some(&d.scopes), made)
}

/// The `clientId` of the client with internal id `id`, for a caller who may see clients.
pub(super) async fn client_id_of(state: &AppState, realm: &str, id: &str, actor: &Actor) -> Result<String, ApiError> {
    let realm = state.manager.realm_row(realm).await.map_err(|_| ApiError::not_found("Realm not found."))?;
    // view-clients includes query-clients (and manage-clients both).
    actor.require_any(&realm.id, &["query-clients"])?;
    let mut conn = state.db.conn().await?;
    store::clients::by_pk(&mut conn, id)
        .await?
        .filter(|c| c.realm_id == realm.id)
        .map(|c| c.client_id)
        .ok_or_else(|| ApiError::not_found("Could not find client"))
}

/// Everything about the client with internal id `id` (`view-clients`).
pub(super) async fn detail_of(
    state: &AppState,
    realm: &str,
    id: &str,
    actor: &Actor,
) -> Result<ClientDetail, ApiError> {
    let client_id = client_id_of(state, realm, id, actor).await?;
    Ok(state.manager.client_detail(realm, &client_id, actor).await?)
}

/// A JSON boolean, or Keycloak's string form of one.
fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
}

/// An attribute, as Keycloak's string (numbers and booleans sent bare are taken too).
fn attribute(rep: &Value, name: &str) -> Option<String> {
    match rep.get("attributes")?.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn seconds(value: Option<String>, name: &str) -> Result<Option<Option<i64>>, ApiError> {
    match value.as_deref() {
        None => Ok(None),
        Some("") | Some("-1") => Ok(Some(None)),
        Some(v) => v.parse().map(|n| Some(Some(n))).map_err(|_| ApiError::bad_request(format!("invalid {name} {v:?}"))),
    }
}

/// The grant types a representation's switches ask for, starting from `current`.
fn grants_from(rep: &Value, current: &[String]) -> Option<Vec<String>> {
    let switches = [
        ("standardFlowEnabled", &["authorization_code", "refresh_token"][..]),
        ("implicitFlowEnabled", &["implicit"][..]),
        ("directAccessGrantsEnabled", &["password"][..]),
        ("serviceAccountsEnabled", &["client_credentials"][..]),
    ];
    let mut grants = current.to_vec();
    let mut touched = false;
    let device = attribute(rep, DEVICE_ATTRIBUTE).and_then(|v| v.parse::<bool>().ok());
    let all = switches.iter().map(|(k, g)| (boolean(rep.get(*k)), *g)).chain([(device, &[DEVICE_GRANT][..])]);
    for (on, names) in all {
        let Some(on) = on else { continue };
        touched = true;
        grants.retain(|g| !names.contains(&g.as_str()));
        if on {
            grants.extend(names.iter().map(|g| g.to_string()));
        }
    }
    touched.then_some(grants)
}

/// Whether every redirect URI is a loopback or private-use-scheme one (a native app's).
fn native_redirects(uris: &[String]) -> bool {
    !uris.is_empty()
        && uris.iter().all(|u| {
            url::Url::parse(u).is_ok_and(|p| {
                p.scheme().contains('.')
                    || (p.scheme() == "http" && matches!(p.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")))
            })
        })
}

/// `GET /admin/realms/{realm}/clients?clientId=&search=&first=&max=`. A browser arriving
/// without a token at the console's old address is sent to the console instead.
pub async fn list(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    actor: Result<ApiActor, ApiError>,
) -> Result<Response, ApiError> {
    let browser = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let actor = match actor {
        Err(_) if browser && !headers.contains_key(header::AUTHORIZATION) => {
            // The console's list lived here once: browsers go to its new place, query and all.
            let mut to = format!("/admin/{}/console/clients", app::components::shell::escape(&realm));
            if let Some(raw) = raw.filter(|r| !r.is_empty()) {
                to = format!("{to}?{raw}");
            }
            return Ok(Redirect::permanent(&to).into_response());
        }
        a => a?.0,
    };
    let search = q.get("search").is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let number = |k: &str, default: i64| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    let m = &state.manager;
    m.realm_row(&realm).await.map_err(|_| ApiError::not_found("Realm not found."))?;
    if let Some(client_id) = q.get("clientId").filter(|_| !search) {
        // Keycloak: without `search=true`, an exact match, as an array of 0 or 1.
        return match m.client_detail(&realm, client_id, &actor).await {
            Ok(d) => Ok(Json(vec![detail_representation(&d)]).into_response()),
            Err(ManageError::NotFound(_)) => Ok(Json(Vec::<Value>::new()).into_response()),
            Err(e) => Err(e.into()),
        };
    }
    let text = q.get("clientId").map(String::as_str).unwrap_or("");
    let page = m.search_clients(&realm, text, number("first", 0), number("max", 10_000), &actor).await?;
    let reps: Vec<Value> = page.clients.iter().map(|c| representation(c, None, None)).collect();
    Ok(Json(reps).into_response())
}

/// `GET /admin/realms/{realm}/clients/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let detail = detail_of(&state, &realm, &id, &actor).await?;
    Ok(Json(detail_representation(&detail)))
}

/// The template a new client's representation describes.
fn template_of(rep: &Value, redirects: &[String]) -> &'static str {
    let public = boolean(rep.get("publicClient")).unwrap_or(false);
    let standard = boolean(rep.get("standardFlowEnabled"));
    let device = attribute(rep, DEVICE_ATTRIBUTE).is_some_and(|v| v == "true");
    let service = boolean(rep.get("serviceAccountsEnabled")).unwrap_or(false);
    match (public, standard) {
        (true, Some(false)) | (true, None) if device => "device",
        (true, _) if native_redirects(redirects) => "native",
        (true, _) => "spa",
        (false, Some(false)) => "service",
        (false, None) if service && redirects.is_empty() => "service",
        (false, _) => "web",
    }
}

/// `POST /admin/realms/{realm}/clients`: 201, `Location: …/clients/{id}`, no body.
pub async fn create(
    State(state): State<AppState>,
    Path(realm): Path<String>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<Response, ApiError> {
    let client_id = rep.get("clientId").and_then(Value::as_str).map(str::to_owned);
    let redirects = strings(rep.get("redirectUris")).unwrap_or_default();
    let template = template_of(&rep, &redirects);
    let defaults = template.parse::<crate::model::Template>().map_err(ApiError::bad_request)?.defaults();
    let current: Vec<String> = defaults.grant_types.iter().map(|g| g.as_str().to_owned()).collect();
    let options = ClientOptions {
        grant_types: grants_from(&rep, &current).unwrap_or_default(),
        post_logout_redirect_uris: attribute(&rep, "post.logout.redirect.uris")
            .map(|v| v.split("##").filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        consent_required: boolean(rep.get("consentRequired")),
        full_scope_allowed: boolean(rep.get("fullScopeAllowed")),
        web_origins: strings(rep.get("webOrigins")).unwrap_or_default(),
        pkce_required: (!defaults.confidential)
            .then_some(true)
            .or(attribute(&rep, "pkce.code.challenge.method").map(|m| m == "S256")),
        ..Default::default()
    };
    let req = NewClient {
        realm: realm.clone(),
        template: template.to_owned(),
        client_id: client_id.clone(),
        name: rep.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_owned),
        description: rep.get("description").and_then(Value::as_str).map(str::to_owned),
        redirect_uris: if defaults.uses_redirects || !redirects.is_empty() { redirects } else { vec![] },
        access_token_lifespan: seconds(attribute(&rep, "access.token.lifespan"), "access.token.lifespan")?.flatten(),
        options,
        ..Default::default()
    };
    let created = match state.manager.create_client(req, &actor).await {
        Err(ManageError::Conflict(_)) => {
            return Err(ApiError::conflict(format!("Client {} already exists", client_id.unwrap_or_default())))
        }
        other => other?,
    };
    if boolean(rep.get("enabled")) == Some(false) {
        state.manager.set_client_enabled(&realm, &created.client_id, false, &actor).await?;
    }
    let detail = state.manager.client_detail(&realm, &created.client_id, &actor).await?;
    let location = format!(
        "{}/admin/realms/{}/clients/{}",
        state.public_url,
        app::components::shell::escape(&realm),
        detail.client.id
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `PUT /admin/realms/{realm}/clients/{id}`: a partial merge, 204.
pub async fn update(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
    Json(rep): Json<Value>,
) -> Result<StatusCode, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    let m = &state.manager;
    let detail = m.client_detail(&realm, &client_id, &actor).await?;
    let current: Vec<String> = detail.client.grant_types.split_whitespace().map(str::to_owned).collect();
    let text = |k: &str| rep.get(k).and_then(Value::as_str).map(str::to_owned);
    let changes = ClientChanges {
        name: text("name").filter(|n| !n.is_empty()),
        description: text("description"),
        enabled: boolean(rep.get("enabled")),
        redirect_uris: strings(rep.get("redirectUris")),
        post_logout_redirect_uris: attribute(&rep, "post.logout.redirect.uris")
            .map(|v| v.split("##").filter(|s| !s.is_empty()).map(str::to_owned).collect()),
        grant_types: grants_from(&rep, &current).filter(|g| *g != current),
        access_token_lifespan: seconds(attribute(&rep, "access.token.lifespan"), "access.token.lifespan")?,
        consent_required: boolean(rep.get("consentRequired")),
        full_scope_allowed: boolean(rep.get("fullScopeAllowed")),
        pkce_required: attribute(&rep, "pkce.code.challenge.method").map(|m| m == "S256"),
        web_origins: strings(rep.get("webOrigins")),
        ..Default::default()
    };
    m.update_client(&realm, &client_id, changes, &actor).await?;
    // Keycloak's console sets a client's not-before here ("Set to now"), as a float of seconds.
    if let Some(nb) = rep.get("notBefore").and_then(Value::as_f64) {
        if nb as i64 != detail.client.not_before {
            m.set_client_not_before(&realm, &client_id, Some(nb as i64), &actor).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/realms/{realm}/clients/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    state.manager.delete_client(&realm, &client_id, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/clients/{id}/client-secret`. By default Portcullis keeps only a hash of a secret, so
/// the answer has Keycloak's shape without a `value` (a secret is shown once, when it is made);
/// a realm with retrievable secrets gives the value back, as Keycloak does.
pub async fn secret(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    // Reading a secret needs manage-clients, which this checks first.
    let value = state.manager.client_secret_value(&realm, &client_id, &actor).await?;
    let detail = state.manager.client_detail(&realm, &client_id, &actor).await?;
    if !detail.client.confidential {
        return Err(ApiError::bad_request("Client is public and has no secret"));
    }
    Ok(Json(match value {
        Some(value) => json!({ "type": "secret", "value": value }),
        None => json!({ "type": "secret" }),
    }))
}

/// `POST …/clients/{id}/client-secret`: a new secret, 200 with its value (shown this once).
pub async fn regenerate_secret(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    let s = state.manager.regenerate_secret(&realm, &client_id, 0, &actor).await?;
    Ok(Json(json!({ "type": "secret", "value": s.client_secret })))
}

/// `GET …/clients/{id}/service-account-user`: the client's service account as a user.
pub async fn service_account_user(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    let detail = detail_of(&state, &realm, &id, &actor).await?;
    let client_id = detail.client.client_id.clone();
    if !has(&detail.client, "client_credentials") {
        return Err(ApiError::bad_request(format!("Service account not enabled for the client '{client_id}'")));
    }
    Ok(Json(json!({
        "id": detail.client.id,
        "username": service_account_username(&client_id),
        "enabled": detail.client.enabled,
        "emailVerified": false,
        "firstName": "",
        "lastName": "",
        "attributes": {},
        "createdTimestamp": detail.client.created_at * 1000,
        "serviceAccountClientId": client_id,
    })))
}

/// The client's live refresh families, as Keycloak's user sessions of a client.
async fn live_sessions(state: &AppState, realm: &str, id: &str, actor: &Actor) -> Result<Vec<Value>, ApiError> {
    let client_id = client_id_of(state, realm, id, actor).await?;
    let families = state.manager.client_sessions(realm, &client_id, 10_000, actor).await?;
    Ok(families
        .into_iter()
        .map(|f| {
            json!({
                "id": f.family_id,
                "username": f.username,
                "start": f.started_at * 1000,
                "lastAccess": f.last_refreshed_at * 1000,
                "rememberMe": false,
                "clients": { id: client_id.clone() },
            })
        })
        .collect())
}

/// `GET …/clients/{id}/user-sessions?first=&max=`.
pub async fn user_sessions(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<Value>>, ApiError> {
    let first = q.get("first").and_then(|v| v.parse().ok()).unwrap_or(0usize);
    let max = q.get("max").and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    Ok(Json(live_sessions(&state, &realm, &id, &actor).await?.into_iter().skip(first).take(max).collect()))
}

/// `GET …/clients/{id}/session-count`: `{"count": n}`.
pub async fn session_count(
    State(state): State<AppState>,
    Path((realm, id)): Path<(String, String)>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "count": live_sessions(&state, &realm, &id, &actor).await?.len() })))
}
