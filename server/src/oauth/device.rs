//! The device authorization endpoint (RFC 8628 §3.1–3.2): a device client asks for a device
//! code and a user code, and is told where the person should go and how often to poll.

use super::{
    client_auth,
    error::{no_store_headers, OAuthError},
    form::OAuthForm,
    grant::{check_allowed, resolve_scope},
    load_realm,
};
use crate::{
    crypto::{random_token, token_hash},
    flow::{paths, realm_path},
    model::{user_code, GrantType},
    net::ClientIp,
    state::AppState,
    store::{self, device_codes::DeviceCodeRow},
};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
    Json,
};
use serde::Serialize;

/// The response (§3.2).
#[derive(Debug, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// `POST {realm}/protocol/openid-connect/auth/device`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, client_id))]
pub async fn device_authorization(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<impl IntoResponse, OAuthError> {
    state.limits.admit_token_request(ip).map_err(OAuthError::rate_limited)?;
    state.limits.admit_device_request(ip).map_err(OAuthError::rate_limited)?;
    let realm = load_realm(&state, &realm_name).await?;
    let client = client_auth::authenticate(&state, &realm, &headers, &params, ip).await?;
    check_allowed(&realm, &client, GrantType::DeviceCode)?;
    let scopes = resolve_scope(&realm, &client.client, params.get("scope"))?;
    let now = state.now();
    let device_code = random_token::<32>();
    let mut conn = state.db.conn().await?;
    // A fresh user code collides with a live one about once in 25 billion: retry on conflict.
    for _ in 0..5 {
        let code = user_code::generate();
        let row = DeviceCodeRow {
            device_code_hash: token_hash(&device_code),
            user_code_hash: token_hash(&code),
            realm_id: realm.id.clone(),
            client_pk: client.client.row.id.clone(),
            scope: scopes.join(" "),
            requester_ip: ip.to_string(),
            created_at: now,
            expires_at: now + realm.settings.device_code_lifespan,
            poll_interval: realm.settings.device_poll_interval,
            last_poll_at: None,
            slowed: false,
            status: "pending".into(),
            user_id: None,
            session_id: None,
            auth_time: None,
            decided_at: None,
        };
        match store::device_codes::insert(&mut conn, &row).await {
            Ok(()) => {
                let verification_uri = format!("{}{}", state.public_url, realm_path(&realm.name, paths::DEVICE_PAGE));
                let shown = user_code::display(&code);
                let complete = url::Url::parse_with_params(&verification_uri, &[("user_code", &shown)])
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| verification_uri.clone());
                let body = DeviceAuthorization {
                    device_code,
                    user_code: shown,
                    verification_uri,
                    verification_uri_complete: complete,
                    expires_in: realm.settings.device_code_lifespan,
                    interval: realm.settings.device_poll_interval,
                };
                return Ok((no_store_headers(), Json(body)));
            }
            Err(e) if store::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OAuthError::internal("could not allocate a unique user code"))
}
