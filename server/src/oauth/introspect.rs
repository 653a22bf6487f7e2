//! Token introspection (RFC 7662). The caller authenticates as a confidential client of the
//! realm; any token that is not currently valid is simply `{"active": false}` (§2.2).

use super::{
    access_token,
    client_auth::{self, AuthMethod},
    error::{no_store_headers, OAuthError},
    form::OAuthForm,
    load_realm,
};
use crate::{net::ClientIp, state::AppState};
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
        Err(_) => json!({ "active": false }),
    };
    Ok((no_store_headers(), Json::<Value>(body)))
}
