//! The UserInfo endpoint (OIDC Core §5.3) with bearer tokens (RFC 6750): the header, or the
//! form body on POST (§2.2). For a service-account token it describes the service account.

use super::{
    access_token::{self, Rejection},
    error::{no_store_headers, OAuthError},
    load_realm,
};
use crate::state::AppState;
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// The exact body Keycloak sends for an expired bearer token (PRODUCT §4).
pub const EXPIRED_BODY: &str = r#"{"message":"Token claims invalid: [\"exp\"]=\"token expired\""}"#;

/// The 401 for an expired bearer token.
pub fn expired_response() -> Response {
    let mut res =
        (StatusCode::UNAUTHORIZED, no_store_headers(), [(header::CONTENT_TYPE, "application/json")], EXPIRED_BODY)
            .into_response();
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    res
}

/// The bearer token of a request: the `Authorization` header, else an `access_token` form
/// field. `Ok(None)` when there is none; an error when it is malformed or given twice.
pub fn bearer_token(headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, OAuthError> {
    let from_header = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| OAuthError::invalid_request("malformed Authorization header"))?;
            match v.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                    Some(token.trim().to_owned())
                }
                _ => return Err(OAuthError::invalid_request("use the Bearer authentication scheme")),
            }
        }
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let from_body = if is_form && !body.is_empty() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| OAuthError::invalid_request("malformed form body"))?;
        super::form::Params::from_pairs(pairs)?.get("access_token").map(str::to_owned)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("send the token once, not in two places")),
        (h, b) => Ok(h.or(b)),
    }
}

/// `GET|POST {realm}/protocol/openid-connect/userinfo`.
pub async fn userinfo(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let Some(token) = bearer_token(&headers, &body)? else {
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        let mut res = (
            StatusCode::UNAUTHORIZED,
            no_store_headers(),
            Json(json!({"error": "invalid_request", "error_description": "missing bearer token"})),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"{}\"", realm.name)) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return Ok(res);
    };
    match access_token::verify_with_user(&state, &realm, &token).await {
        Ok((claims, client, user)) => {
            let mut info = serde_json::Map::new();
            info.insert("sub".into(), json!(claims.sub));
            if claims.is_service_account() {
                info.insert("preferred_username".into(), json!(claims.preferred_username));
                info.insert("client_id".into(), json!(client.client_id()));
            } else {
                let scopes: Vec<String> = claims.scope.split(' ').map(str::to_owned).collect();
                if let Some(user) = user {
                    info.extend(super::id_token::user_claims(&user, &scopes));
                }
            }
            Ok((no_store_headers(), Json(serde_json::Value::Object(info))).into_response())
        }
        Err(Rejection::Expired) => Ok(expired_response()),
        Err(Rejection::Invalid(why)) => Err(OAuthError::invalid_token(why)),
        Err(Rejection::Unavailable) => Err(OAuthError::database_unavailable("reading the token's status")),
    }
}
