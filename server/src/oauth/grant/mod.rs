//! The token endpoint (RFC 6749 §3.2): parse the typed request, authenticate the client once,
//! then dispatch to the grant's module. Nothing grant-specific lives here.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod password;
pub mod refresh_token;

use super::{
    client_auth::{self, AuthenticatedClient},
    error::{no_store_headers, OAuthError},
    form::{OAuthForm, Params},
    load_realm,
};
use crate::{
    model::GrantType,
    net::ClientIp,
    registry::{Client, Realm},
    state::AppState,
};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};
use serde::{de::value::MapDeserializer, Deserialize, Serialize};

/// The grant types this endpoint serves, for dispatch and discovery.
pub const SUPPORTED: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::ClientCredentials,
    GrantType::RefreshToken,
    GrantType::DeviceCode,
    GrantType::Password,
];

/// A token request, tagged by `grant_type`. Unknown parameters are ignored (RFC 6749 §3.2).
#[derive(Debug, Deserialize)]
#[serde(tag = "grant_type")]
pub enum GrantRequest {
    #[serde(rename = "authorization_code")]
    AuthorizationCode(authorization_code::Request),
    #[serde(rename = "client_credentials")]
    ClientCredentials(client_credentials::Request),
    #[serde(rename = "refresh_token")]
    RefreshToken(refresh_token::Request),
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode(device_code::Request),
    #[serde(rename = "password")]
    Password(password::Request),
}

impl GrantRequest {
    /// Parses the grant part of a token request.
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        let grant = params.require("grant_type")?;
        if !SUPPORTED.iter().any(|g| g.as_str() == grant) {
            return Err(OAuthError::new(
                super::error::ErrorCode::UnsupportedGrantType,
                format!("grant type {grant:?} is not supported"),
            ));
        }
        let map =
            MapDeserializer::<_, serde::de::value::Error>::new(params.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        GrantRequest::deserialize(map).map_err(|e| OAuthError::invalid_request(e.to_string()))
    }
}

/// A successful token response (RFC 6749 §5.1, with Keycloak's extra fields).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_expires_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
    #[serde(rename = "not-before-policy")]
    pub not_before_policy: i64,
    /// Keycloak's name for the SSO session id (`sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_state: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        (no_store_headers(), Json(self)).into_response()
    }
}

/// `POST {realm}/protocol/openid-connect/token`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, client_id))]
pub async fn token(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<TokenResponse, OAuthError> {
    state.limits.admit_token_request(ip).map_err(OAuthError::rate_limited)?;
    let realm = load_realm(&state, &realm_name).await?;
    let request = GrantRequest::parse(&params)?;
    let client = client_auth::authenticate(&state, &realm, &headers, &params, ip).await?;
    let now = state.now();
    match request {
        GrantRequest::AuthorizationCode(req) => authorization_code::handle(&state, &realm, client, req, now).await,
        GrantRequest::ClientCredentials(req) => client_credentials::handle(&state, &realm, client, req, now),
        GrantRequest::RefreshToken(req) => refresh_token::handle(&state, &realm, client, req, now).await,
        GrantRequest::DeviceCode(req) => device_code::handle(&state, &realm, client, req, now).await,
        GrantRequest::Password(req) => password::handle(&state, &realm, client, req, ip, now).await,
    }
}

/// Checks that the realm lets custom clients obtain tokens and that the client may use `grant`.
pub fn check_allowed(realm: &Realm, client: &AuthenticatedClient, grant: GrantType) -> Result<(), OAuthError> {
    // The switch is for the realm's custom clients; `admin-cli` is the admin API's way in.
    let custom = client.client.client_id() != crate::manage::admin_roles::ADMIN_CLI;
    if custom && !realm.settings.oauth_clients_enabled {
        return Err(OAuthError::unauthorized_client("OAuth clients are disabled in this realm"));
    }
    if !client.client.allows_grant(grant) {
        return Err(OAuthError::unauthorized_client(format!("this client may not use the {grant} grant")));
    }
    Ok(())
}

/// The scopes to grant: the requested ones if the client is allowed each of them (directly or
/// by implication), else the client's defaults when none are requested. A blank `scope`
/// (`scope=%20`) requests nothing, so it gets the defaults too, never an empty grant.
pub fn resolve_scope(realm: &Realm, client: &Client, requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested.filter(|r| !r.trim_matches(' ').is_empty()) else {
        return Ok(client.default_scopes.clone());
    };
    let mut scopes =
        crate::model::scope::parse(requested).ok_or_else(|| OAuthError::invalid_scope("malformed scope"))?;
    // Keycloak's clients (python-keycloak) send `scope=openid` with every grant, service
    // clients' included: a client not allowed it gets its other scopes, as from Keycloak.
    if !realm.implications.allows(&client.allowed_scopes, "openid") {
        scopes.retain(|s| s != "openid");
        if scopes.is_empty() {
            return Ok(client.default_scopes.clone());
        }
    }
    // `project-{id}`: a token for one project, which the client must have access to; it comes
    // with the other scopes asked for, or the client's defaults when it is asked alone.
    let (projects, mut scopes): (Vec<String>, Vec<String>) =
        scopes.into_iter().partition(|s| s.starts_with(PROJECT_SCOPE_PREFIX));
    if projects.len() > 1 {
        return Err(OAuthError::invalid_scope("a token is for one project at a time"));
    }
    if let Some(project) = projects.first() {
        let id = &project[PROJECT_SCOPE_PREFIX.len()..];
        if !client.projects.iter().any(|p| p == id) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {project:?}: no such project, or this client has no access to it"
            )));
        }
        if scopes.is_empty() {
            scopes = client.default_scopes.clone();
        }
    }
    if let Some(denied) = scopes.iter().find(|s| !realm.implications.allows(&client.allowed_scopes, s)) {
        return Err(OAuthError::invalid_scope(format!("scope {denied:?} is not allowed for this client")));
    }
    scopes.extend(projects);
    Ok(scopes)
}

/// The scope that asks for a project's token: `project-{id}`.
pub const PROJECT_SCOPE_PREFIX: &str = "project-";

/// The `not-before-policy` field: the later of the realm's and the client's not-before.
pub fn not_before_policy(realm: &Realm, client: &Client) -> i64 {
    realm.settings.not_before.max(client.row.not_before)
}
