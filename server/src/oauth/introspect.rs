//! Token introspection (RFC 7662). The caller authenticates as a confidential client of the
//! realm; any token that is not currently valid is simply `{"active": false}` (§2.2). An API key
//! of the realm is reported too (`token_type: api_key`, its roles and projects), so resource
//! servers accept keys and tokens the same way.

use super::{
    access_token,
    client_auth::{self, AuthMethod},
    error::{no_store_headers, OAuthError},
    form::OAuthForm,
    load_realm,
};
use crate::{manage::api_key, net::ClientIp, registry::Realm, state::AppState};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
    Json,
};
use serde_json::{json, Value};

/// `POST {realm}/protocol/openid-connect/token/introspect`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, client_id))]
pub async fn introspect(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<impl IntoResponse, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let caller = client_auth::authenticate(&state, &realm, &headers, &params, ip).await?;
    if caller.method == AuthMethod::None {
        return Err(OAuthError::invalid_client("introspection requires a confidential client"));
    }
    let token = params.require("token")?;
    if token.starts_with(api_key::KEY_PREFIX) {
        return Ok((no_store_headers(), Json(api_key_answer(&state, &realm, token).await?)));
    }
    let body = match access_token::verify(&state, &realm, token).await {
        Ok((claims, _client)) => {
            let mut v = serde_json::to_value(&claims).map_err(OAuthError::internal)?;
            v["active"] = json!(true);
            v["token_type"] = json!("Bearer");
            if let Some(u) = &claims.preferred_username {
                v["username"] = json!(u);
            }
            v
        }
        // A token whose status cannot be read is not called inactive: 503, and the caller retries.
        Err(access_token::Rejection::Unavailable) => {
            return Err(OAuthError::database_unavailable("reading the token's status"))
        }
        Err(_) => json!({ "active": false }),
    };
    Ok((no_store_headers(), Json::<Value>(body)))
}

/// What introspection says of an API key: its roles in the shape tokens carry them
/// (`realm_access`, `resource_access`), its projects, and when it was made and expires.
async fn api_key_answer(state: &AppState, realm: &Realm, presented: &str) -> Result<Value, OAuthError> {
    let key = state.manager.verify_api_key(&state.registry.credentials, presented).await.map_err(OAuthError::from)?;
    let Some(key) = key.filter(|k| k.row.realm_id == realm.id) else {
        return Ok(json!({ "active": false }));
    };
    let mut realm_roles = Vec::new();
    let mut client_roles: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for role in &key.roles {
        match &role.client_id {
            None => realm_roles.push(role.name.as_str()),
            Some(c) => client_roles.entry(c).or_default().push(&role.name),
        }
    }
    let client_roles: serde_json::Map<String, Value> =
        client_roles.into_iter().map(|(c, roles)| (c.to_owned(), json!({ "roles": roles }))).collect();
    let mut body = json!({
        "active": true,
        "token_type": "api_key",
        "iss": realm.issuer,
        "sub": format!("api-key:{}", key.row.id),
        "username": key.row.name,
        "iat": key.row.created_at,
        "projects": key.projects,
        "realm_access": { "roles": realm_roles },
        "resource_access": client_roles,
    });
    if let Some(exp) = key.row.expires_at {
        body["exp"] = json!(exp);
    }
    Ok(body)
}
