//! OpenID Connect Discovery 1.0 §4 and RFC 8414 authorization server metadata, derived from
//! [`super::endpoints`], the grant dispatcher's list and the client-auth methods, so what is
//! advertised is exactly what is served.

use super::{authorize, client_auth, endpoints, error::OAuthError, grant, load_realm};
use crate::{crypto::jws::SigningAlg, model::GrantType, state::AppState};
use axum::{
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    Json,
};
use serde_json::{json, Map, Value};

/// The metadata document of `realm`.
async fn metadata(state: &AppState, realm_name: &str) -> Result<Value, OAuthError> {
    let realm = load_realm(state, realm_name).await?;
    let mut doc = Map::new();
    doc.insert("issuer".into(), json!(realm.issuer));
    for ep in endpoints() {
        if let Some(field) = ep.metadata {
            doc.insert(field.into(), json!(format!("{}{}", realm.issuer, ep.path)));
        }
    }
    let auth_methods: Vec<&str> = client_auth::SUPPORTED_METHODS.iter().map(|m| m.as_str()).collect();
    let confidential_methods: Vec<&str> = auth_methods.iter().copied().filter(|m| *m != "none").collect();
    let mut scopes: Vec<&String> = realm.scopes.keys().collect();
    scopes.sort();
    let mut grants: Vec<&str> = grant::SUPPORTED.iter().map(|g| g.as_str()).collect();
    grants.push(GrantType::Implicit.as_str());
    let extra = json!({
        "grant_types_supported": grants,
        "response_types_supported": authorize::RESPONSE_TYPES,
        "response_modes_supported": authorize::RESPONSE_MODES,
        "prompt_values_supported": authorize::PROMPTS,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": scopes,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "access_token_signing_alg_values_supported": [realm.access_token_alg().as_str()],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid", "jti",
                             "client_id", "scope", "preferred_username", "name", "given_name", "family_name", "email",
                             "email_verified", "realm_access", "resource_access"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    if let Value::Object(extra) = extra {
        doc.extend(extra);
    }
    Ok(Value::Object(doc))
}

fn respond(doc: Value) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(doc))
}

/// `GET {realm}/.well-known/openid-configuration`.
pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(realm): Path<String>,
) -> Result<impl IntoResponse, OAuthError> {
    Ok(respond(metadata(&state, &realm).await?))
}

/// `GET /.well-known/oauth-authorization-server/realms/{realm}` (RFC 8414 §3).
pub async fn oauth_authorization_server(
    State(state): State<AppState>,
    Path(realm): Path<String>,
) -> Result<impl IntoResponse, OAuthError> {
    Ok(respond(metadata(&state, &realm).await?))
}
