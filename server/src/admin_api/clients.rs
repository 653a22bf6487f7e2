//! `/admin/realms/{realm}/clients…`: Keycloak's `ClientRepresentation` over Portcullis's
//! clients. `{id}` is the client's internal id (Keycloak's UUID), never its `clientId`. A new
//! client's template follows from the representation's switches (`publicClient`, the flows,
//! the device grant attribute); `attributes` is Keycloak's string map (`access.token.lifespan`,
//! `pkce.code.challenge.method`, `post.logout.redirect.uris`, …) over the typed settings.

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{
        attribute, query_number, Access, ApiJson, Attribute, Attributes, ClientPath, ClientRepresentation, Count,
        CredentialRepresentation, ErrorRepresentation, RealmPath, UserRepresentation, UserSessionRepresentation,
    },
};
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
use std::collections::{BTreeMap, HashMap};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const DEVICE_ATTRIBUTE: &str = "oauth2.device.authorization.grant.enabled";

fn has(row: &ClientRow, grant: &str) -> bool {
    row.grant_types.split_whitespace().any(|g| g == grant)
}

fn string_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Keycloak's representation of a client (`scopes`: `(name, default)`, when known).
fn representation(
    row: &ClientRow,
    scopes: Option<&[(String, bool)]>,
    secret_made: Option<i64>,
) -> ClientRepresentation {
    let flag = |on: bool| Attribute(on.to_string());
    let mut attributes = Attributes::new();
    if let Some(l) = row.access_token_lifespan {
        attributes.insert("access.token.lifespan".into(), Attribute(l.to_string()));
    }
    attributes.insert(DEVICE_ATTRIBUTE.into(), flag(has(row, DEVICE_GRANT)));
    attributes.insert("use.refresh.tokens".into(), flag(has(row, "refresh_token")));
    if row.pkce_required {
        attributes.insert("pkce.code.challenge.method".into(), Attribute("S256".into()));
    }
    attributes
        .insert("post.logout.redirect.uris".into(), Attribute(string_list(&row.post_logout_redirect_uris).join("##")));
    if let Some(t) = secret_made {
        attributes.insert("client.secret.creation.time".into(), Attribute(t.to_string()));
    }
    let names = |default: bool| {
        scopes.map(|s| s.iter().filter(|(_, d)| *d == default).map(|(n, _)| n.clone()).collect::<Vec<_>>())
    };
    ClientRepresentation {
        id: Some(row.id.clone()),
        client_id: Some(row.client_id.clone()),
        name: Some(row.name.clone()),
        description: Some(row.description.clone()),
        enabled: Some(row.enabled),
        public_client: Some(!row.confidential),
        bearer_only: Some(false),
        client_authenticator_type: Some("client-secret".into()),
        redirect_uris: Some(string_list(&row.redirect_uris)),
        web_origins: Some(string_list(&row.web_origins)),
        standard_flow_enabled: Some(has(row, "authorization_code")),
        implicit_flow_enabled: Some(has(row, "implicit")),
        direct_access_grants_enabled: Some(has(row, "password")),
        service_accounts_enabled: Some(has(row, "client_credentials")),
        consent_required: Some(row.consent_required),
        full_scope_allowed: Some(row.full_scope_allowed),
        protocol: Some("openid-connect".into()),
        not_before: Some(row.not_before),
        attributes: Some(attributes),
        default_client_scopes: names(true),
        optional_client_scopes: names(false),
        access: Some(Access { view: true, configure: true, manage: true }),
    }
}

fn detail_representation(d: &ClientDetail) -> ClientRepresentation {
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

fn seconds(value: Option<String>, name: &str) -> Result<Option<Option<i64>>, ApiError> {
    match value.as_deref() {
        None => Ok(None),
        Some("") | Some("-1") => Ok(Some(None)),
        Some(v) => v.parse().map(|n| Some(Some(n))).map_err(|_| ApiError::bad_request(format!("invalid {name} {v:?}"))),
    }
}

fn post_logout_uris(rep: &ClientRepresentation) -> Option<Vec<String>> {
    attribute(&rep.attributes, "post.logout.redirect.uris")
        .map(|v| v.split("##").filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

/// The grant types a representation's switches ask for, starting from `current`.
fn grants_from(rep: &ClientRepresentation, current: &[String]) -> Option<Vec<String>> {
    let device = attribute(&rep.attributes, DEVICE_ATTRIBUTE).and_then(|v| v.parse::<bool>().ok());
    let switches = [
        (rep.standard_flow_enabled, &["authorization_code", "refresh_token"][..]),
        (rep.implicit_flow_enabled, &["implicit"][..]),
        (rep.direct_access_grants_enabled, &["password"][..]),
        (rep.service_accounts_enabled, &["client_credentials"][..]),
        (device, &[DEVICE_GRANT][..]),
    ];
    let mut grants = current.to_vec();
    let mut touched = false;
    for (on, names) in switches {
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

/// Clients, or the one whose `clientId` is given (`query-clients`)
///
/// `clientId` without `search=true` is an exact match (an array of 0 or 1, with the client's
/// scopes); with `search=true` a substring. Paged with `first`/`max`. A browser arriving
/// without a token at the console's old address is sent to the console instead.
#[utoipa::path(get, path = "/clients", tag = "Clients",
    params(RealmPath,
        ("clientId" = Option<String>, Query, description = "The client id, exact unless `search=true`"),
        ("search" = Option<bool>, Query, description = "Match `clientId` as a substring"),
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most")),
    responses((status = 200, body = Vec<ClientRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
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
    let m = &state.manager;
    m.realm_row(&realm).await.map_err(|_| ApiError::not_found("Realm not found."))?;
    if let Some(client_id) = q.get("clientId").filter(|_| !search) {
        return match m.client_detail(&realm, client_id, &actor).await {
            Ok(d) => Ok(Json(vec![detail_representation(&d)]).into_response()),
            Err(ManageError::NotFound(_)) => Ok(Json(Vec::<ClientRepresentation>::new()).into_response()),
            Err(e) => Err(e.into()),
        };
    }
    let text = q.get("clientId").map(String::as_str).unwrap_or("");
    let page =
        m.search_clients(&realm, text, query_number(&q, "first", 0), query_number(&q, "max", 10_000), &actor).await?;
    let reps: Vec<ClientRepresentation> = page.clients.iter().map(|c| representation(c, None, None)).collect();
    Ok(Json(reps).into_response())
}

/// A client, with its default and optional scopes (`view-clients`)
#[utoipa::path(get, path = "/clients/{id}", tag = "Clients", params(ClientPath),
    responses((status = 200, body = ClientRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn get(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<ClientRepresentation>, ApiError> {
    let detail = detail_of(&state, &realm, &id, &actor).await?;
    Ok(Json(detail_representation(&detail)))
}

/// The template a new client's representation describes.
fn template_of(rep: &ClientRepresentation, redirects: &[String]) -> &'static str {
    let public = rep.public_client.unwrap_or(false);
    let device = attribute(&rep.attributes, DEVICE_ATTRIBUTE).is_some_and(|v| v == "true");
    let service = rep.service_accounts_enabled.unwrap_or(false);
    match (public, rep.standard_flow_enabled) {
        (true, Some(false)) | (true, None) if device => "device",
        (true, _) if native_redirects(redirects) => "native",
        (true, _) => "spa",
        (false, Some(false)) => "service",
        (false, None) if service && redirects.is_empty() => "service",
        (false, _) => "web",
    }
}

/// Create a client (`manage-clients`)
///
/// Its template follows from the switches: `publicClient`, the flows, the device grant
/// attribute. A confidential client's secret is shown once, on `POST …/client-secret` (or
/// read back with `GET …/client-secret` in a realm that keeps secrets retrievable).
#[utoipa::path(post, path = "/clients", tag = "Clients", params(RealmPath), request_body = ClientRepresentation,
    responses((status = 201, description = "Created; `Location` names it (`…/clients/{id}`)"),
        (status = 400, body = ErrorRepresentation), (status = 409, body = ErrorRepresentation)))]
pub async fn create(
    State(state): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<ClientRepresentation>,
) -> Result<Response, ApiError> {
    let redirects = rep.redirect_uris.clone().unwrap_or_default();
    let template = template_of(&rep, &redirects);
    let defaults = template.parse::<crate::model::Template>().map_err(ApiError::bad_request)?.defaults();
    let current: Vec<String> = defaults.grant_types.iter().map(|g| g.as_str().to_owned()).collect();
    let options = ClientOptions {
        grant_types: grants_from(&rep, &current).unwrap_or_default(),
        post_logout_redirect_uris: post_logout_uris(&rep).unwrap_or_default(),
        consent_required: rep.consent_required,
        full_scope_allowed: rep.full_scope_allowed,
        web_origins: rep.web_origins.clone().unwrap_or_default(),
        pkce_required: (!defaults.confidential).then_some(true).or(attribute(
            &rep.attributes,
            "pkce.code.challenge.method",
        )
        .map(|m| m == "S256")),
        ..Default::default()
    };
    let lifespan = seconds(attribute(&rep.attributes, "access.token.lifespan"), "access.token.lifespan")?;
    let req = NewClient {
        realm: realm.clone(),
        template: template.to_owned(),
        client_id: rep.client_id.clone(),
        name: rep.name.clone().filter(|n| !n.is_empty()),
        description: rep.description.clone(),
        redirect_uris: if defaults.uses_redirects || !redirects.is_empty() { redirects } else { vec![] },
        access_token_lifespan: lifespan.flatten(),
        options,
        ..Default::default()
    };
    let created = match state.manager.create_client(req, &actor).await {
        Err(ManageError::Conflict(_)) => {
            return Err(ApiError::conflict(format!("Client {} already exists", rep.client_id.unwrap_or_default())))
        }
        other => other?,
    };
    if rep.enabled == Some(false) {
        state.manager.set_client_enabled(&realm, &created.client_id, false, &actor).await?;
    }
    let detail = state.manager.client_detail(&realm, &created.client_id, &actor).await?;
    let location = format!(
        "{}/admin/realms/{}/clients/{}",
        state.public_url,
        app::components::shell::escape(&realm),
        detail.client.id
    );
    Ok(super::model::created(location))
}

/// Change a client (`manage-clients`)
///
/// A partial merge; `notBefore` (seconds, a float is taken) is Keycloak console's "Set to now".
#[utoipa::path(put, path = "/clients/{id}", tag = "Clients", params(ClientPath), request_body = ClientRepresentation,
    responses((status = 204, description = "Changed"), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn update(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
    ApiJson(rep): ApiJson<ClientRepresentation>,
) -> Result<StatusCode, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    let m = &state.manager;
    let detail = m.client_detail(&realm, &client_id, &actor).await?;
    let current: Vec<String> = detail.client.grant_types.split_whitespace().map(str::to_owned).collect();
    let changes = ClientChanges {
        name: rep.name.clone().filter(|n| !n.is_empty()),
        description: rep.description.clone(),
        enabled: rep.enabled,
        redirect_uris: rep.redirect_uris.clone(),
        post_logout_redirect_uris: post_logout_uris(&rep),
        grant_types: grants_from(&rep, &current).filter(|g| *g != current),
        access_token_lifespan: seconds(attribute(&rep.attributes, "access.token.lifespan"), "access.token.lifespan")?,
        consent_required: rep.consent_required,
        full_scope_allowed: rep.full_scope_allowed,
        pkce_required: attribute(&rep.attributes, "pkce.code.challenge.method").map(|m| m == "S256"),
        web_origins: rep.web_origins.clone(),
        ..Default::default()
    };
    m.update_client(&realm, &client_id, changes, &actor).await?;
    if let Some(nb) = rep.not_before.filter(|nb| *nb != detail.client.not_before) {
        m.set_client_not_before(&realm, &client_id, Some(nb), &actor).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a client, its roles, secrets and tokens (`manage-clients`)
#[utoipa::path(delete, path = "/clients/{id}", tag = "Clients", params(ClientPath),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorRepresentation)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<StatusCode, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    state.manager.delete_client(&realm, &client_id, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client's secret (`manage-clients`)
///
/// By default Portcullis keeps only a hash of a secret, so the answer has Keycloak's shape
/// without a `value` (a secret is shown once, when it is made); a realm with retrievable
/// secrets (`retrievableClientSecrets`) gives the value back, as Keycloak does.
#[utoipa::path(get, path = "/clients/{id}/client-secret", tag = "Clients", params(ClientPath),
    responses((status = 200, body = CredentialRepresentation), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn secret(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<CredentialRepresentation>, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    // Reading a secret needs manage-clients, which this checks first.
    let value = state.manager.client_secret_value(&realm, &client_id, &actor).await?;
    let detail = state.manager.client_detail(&realm, &client_id, &actor).await?;
    if !detail.client.confidential {
        return Err(ApiError::bad_request("Client is public and has no secret"));
    }
    Ok(Json(CredentialRepresentation { kind: Some("secret".into()), value, temporary: None }))
}

/// Regenerate a client's secret (`manage-clients`): the new value, shown this once
#[utoipa::path(post, path = "/clients/{id}/client-secret", tag = "Clients", params(ClientPath),
    responses((status = 200, body = CredentialRepresentation), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn regenerate_secret(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<CredentialRepresentation>, ApiError> {
    let client_id = client_id_of(&state, &realm, &id, &actor).await?;
    let s = state.manager.regenerate_secret(&realm, &client_id, 0, &actor).await?;
    Ok(Json(CredentialRepresentation { kind: Some("secret".into()), value: Some(s.client_secret), temporary: None }))
}

/// A client's service account, as a user (`view-clients`)
///
/// Its `id` is the client's internal id: its role mappings are at `/users/{id}/role-mappings`.
#[utoipa::path(get, path = "/clients/{id}/service-account-user", tag = "Clients", params(ClientPath),
    responses((status = 200, body = UserRepresentation), (status = 400, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn service_account_user(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<UserRepresentation>, ApiError> {
    let detail = detail_of(&state, &realm, &id, &actor).await?;
    let client_id = detail.client.client_id.clone();
    if !has(&detail.client, "client_credentials") {
        return Err(ApiError::bad_request(format!("Service account not enabled for the client '{client_id}'")));
    }
    Ok(Json(UserRepresentation {
        id: Some(detail.client.id.clone()),
        username: Some(service_account_username(&client_id)),
        enabled: Some(detail.client.enabled),
        email_verified: Some(false),
        first_name: Some(String::new()),
        last_name: Some(String::new()),
        attributes: Some(BTreeMap::new()),
        created_timestamp: Some(detail.client.created_at * 1000),
        service_account_client_id: Some(client_id),
        ..Default::default()
    }))
}

/// The client's live refresh families, as Keycloak's user sessions of a client.
async fn live_sessions(
    state: &AppState,
    realm: &str,
    id: &str,
    actor: &Actor,
) -> Result<Vec<UserSessionRepresentation>, ApiError> {
    let client_id = client_id_of(state, realm, id, actor).await?;
    let families = state.manager.client_sessions(realm, &client_id, 10_000, actor).await?;
    Ok(families
        .into_iter()
        .map(|f| UserSessionRepresentation {
            id: f.family_id,
            username: f.username,
            start: f.started_at * 1000,
            last_access: f.last_refreshed_at * 1000,
            clients: [(id.to_owned(), client_id.clone())].into(),
            ..Default::default()
        })
        .collect())
}

/// The sessions (refresh-token families) a client holds (`view-clients`)
#[utoipa::path(get, path = "/clients/{id}/user-sessions", tag = "Clients",
    params(ClientPath,
        ("first" = Option<i64>, Query, description = "How many to skip"),
        ("max" = Option<i64>, Query, description = "How many at most")),
    responses((status = 200, body = Vec<UserSessionRepresentation>), (status = 404, body = ErrorRepresentation)))]
pub async fn user_sessions(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    Query(q): Query<HashMap<String, String>>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<UserSessionRepresentation>>, ApiError> {
    let (first, max) = (query_number(&q, "first", 0), query_number(&q, "max", usize::MAX));
    Ok(Json(live_sessions(&state, &realm, &id, &actor).await?.into_iter().skip(first).take(max).collect()))
}

/// How many sessions a client holds (`view-clients`)
#[utoipa::path(get, path = "/clients/{id}/session-count", tag = "Clients", params(ClientPath),
    responses((status = 200, body = Count), (status = 404, body = ErrorRepresentation)))]
pub async fn session_count(
    State(state): State<AppState>,
    Path(ClientPath { realm, id }): Path<ClientPath>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Count>, ApiError> {
    Ok(Json(Count { count: live_sessions(&state, &realm, &id, &actor).await?.len() as i64 }))
}
