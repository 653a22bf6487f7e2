//! The token vault (issue 12, item 3; PRODUCT §10): a user's upstream tokens, kept sealed under
//! the master key (bound to the user and provider) when the provider stores tokens, refreshed
//! before they expire (by the janitor, and on demand), and served to apps at Keycloak's
//! `GET /realms/{realm}/broker/{alias}/token` with the user's own access token as bearer, which
//! must carry the `broker` client's `read-token` role (Keycloak's rule).

use crate::{
    manage::admin_roles::{BROKER, READ_TOKEN},
    oauth::{
        access_token::{self, AccessClaims, Rejection},
        error::{no_store_headers, OAuthError},
        load_realm,
        userinfo::{bearer_token, expired_response},
    },
    state::AppState,
    store::{
        self,
        identity_providers::{BrokerTokenRow, IdpRow},
    },
    upstream::token::{self as upstream_token, TokenResponse},
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use serde_json::json;

/// A stored token this close to its expiry is refreshed before it is served.
pub const SERVE_MARGIN: i64 = 30;
/// The janitor refreshes tokens expiring within this many seconds.
pub const JANITOR_MARGIN: i64 = 5 * 60;
/// Tokens refreshed per janitor batch.
const JANITOR_BATCH: i64 = 20;

fn context(user_id: &str, provider_pk: &str, what: &str) -> Vec<u8> {
    format!("broker {what} {user_id} {provider_pk}").into_bytes()
}

fn seal(state: &AppState, user_id: &str, provider_pk: &str, what: &str, value: &str) -> String {
    STANDARD_NO_PAD.encode(state.manager.master.seal(value.as_bytes(), &context(user_id, provider_pk, what)))
}

fn open(state: &AppState, row: &BrokerTokenRow, what: &str, sealed: &str) -> Option<String> {
    let bytes = STANDARD_NO_PAD.decode(sealed).ok()?;
    let plain = state.manager.master.open(&bytes, &context(&row.user_id, &row.provider_pk, what)).ok()?;
    String::from_utf8(plain).ok()
}

/// The vault row for an upstream token response. A response without a refresh token keeps
/// `previous_refresh` (RFC 6749 §6: the old one stays valid unless a new one is issued).
pub fn sealed_row(
    state: &AppState,
    user_id: &str,
    provider_pk: &str,
    res: &TokenResponse,
    previous_refresh: Option<String>,
    now: i64,
) -> BrokerTokenRow {
    BrokerTokenRow {
        user_id: user_id.to_owned(),
        provider_pk: provider_pk.to_owned(),
        access_sealed: seal(state, user_id, provider_pk, "access", &res.access_token),
        refresh_sealed: match &res.refresh_token {
            Some(r) => Some(seal(state, user_id, provider_pk, "refresh", r)),
            None => previous_refresh,
        },
        token_type: res.token_type.clone(),
        scope: res.scope.clone(),
        expires_at: res.expires_in.map(|s| now + s.max(0)),
        refresh_expires_at: res.refresh_expires_in.filter(|s| *s > 0).map(|s| now + s),
        updated_at: now,
    }
}

/// Why a stored token could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no refresh token is stored")]
    NoRefreshToken,
    #[error("a stored token does not open with this master key")]
    Sealed,
    #[error(transparent)]
    Upstream(#[from] crate::upstream::UpstreamError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Secret(String),
}

/// Refreshes `row` at the provider and stores the answer (the new refresh token when the
/// provider rotates). Returns the new row.
pub async fn refresh(state: &AppState, idp: &IdpRow, row: &BrokerTokenRow) -> Result<BrokerTokenRow, RefreshError> {
    let sealed = row.refresh_sealed.as_deref().ok_or(RefreshError::NoRefreshToken)?;
    let refresh_token = open(state, row, "refresh", sealed).ok_or(RefreshError::Sealed)?;
    let secret = state.manager.idp_secret(idp).map_err(|e| RefreshError::Secret(e.to_string()))?;
    let res = upstream_token::refresh(idp, secret.as_deref(), &refresh_token).await?;
    let now = state.now();
    let new = sealed_row(state, &row.user_id, &row.provider_pk, &res, row.refresh_sealed.clone(), now);
    let mut conn = state.db.conn().await?;
    store::identity_providers::put_tokens(&mut conn, &new).await?;
    Ok(new)
}

/// One janitor step: refreshes the tokens expiring within [`JANITOR_MARGIN`], a batch at a
/// time. An upstream that fails is logged and skipped (it is tried again next pass, and on
/// demand); the pass goes on. Returns how many were refreshed.
pub async fn refresh_due(state: &AppState) -> usize {
    let before = state.now() + JANITOR_MARGIN;
    let due = match state.db.conn().await {
        Ok(mut c) => store::identity_providers::due_for_refresh(&mut c, before, JANITOR_BATCH).await,
        Err(e) => Err(e),
    };
    let due = match due {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "janitor: upstream tokens due");
            return 0;
        }
    };
    let mut refreshed = 0;
    for row in due {
        if row.refresh_expires_at.is_some_and(|at| at <= state.now()) {
            continue;
        }
        let idp = match provider_by_id(state, &row.provider_pk).await {
            Some(p) if p.enabled => p,
            _ => continue,
        };
        match refresh(state, &idp, &row).await {
            Ok(_) => refreshed += 1,
            Err(e) => tracing::warn!(error = %e, alias = %idp.alias, "janitor: refreshing an upstream token"),
        }
    }
    refreshed
}

async fn provider_by_id(state: &AppState, id: &str) -> Option<IdpRow> {
    let mut conn = state.db.conn().await.ok()?;
    store::identity_providers::by_id(&mut conn, id).await.ok().flatten()
}

/// A JSON error answer (`no-store`).
pub(crate) fn refusal(status: StatusCode, error: &str, description: &str) -> Response {
    (status, no_store_headers(), Json(json!({"error": error, "error_description": description}))).into_response()
}

/// The verified claims of the request's bearer access token (RFC 6750 §2.1), or the answer
/// refusing it: 401 without a token, with an expired or invalid one.
pub(crate) async fn bearer_claims(
    state: &AppState,
    realm: &crate::registry::Realm,
    headers: &HeaderMap,
) -> Result<Result<AccessClaims, Response>, OAuthError> {
    let Some(bearer) = bearer_token(headers, &[])? else {
        return Err(OAuthError::invalid_token("missing bearer token").with_status(StatusCode::UNAUTHORIZED));
    };
    match access_token::verify(state, realm, &bearer).await {
        Ok((claims, _)) => Ok(Ok(claims)),
        Err(Rejection::Expired) => Ok(Err(expired_response())),
        Err(Rejection::Invalid(why)) => Err(OAuthError::invalid_token(why)),
        Err(Rejection::Unavailable) => Err(OAuthError::database_unavailable("reading the token's status")),
    }
}

/// `GET /realms/{realm}/broker/{alias}/token`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, alias = %alias))]
pub async fn token(
    State(state): State<AppState>,
    Path((realm_name, alias)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let claims = match bearer_claims(&state, &realm, &headers).await? {
        Ok(claims) => claims,
        Err(refused) => return Ok(refused),
    };
    let allowed = claims.resource_access.get(BROKER).is_some_and(|r| r.roles.iter().any(|r| r == READ_TOKEN));
    if claims.is_service_account() || !allowed {
        return Ok(refusal(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token does not carry the broker client's read-token role",
        ));
    }
    let mut conn = state.db.conn().await?;
    let idp = store::identity_providers::by_alias(&mut conn, &realm.id, &alias).await?.filter(|p| p.enabled);
    let Some(idp) = idp else {
        return Ok(refusal(StatusCode::NOT_FOUND, "not_found", "no such identity provider"));
    };
    let row = store::identity_providers::tokens(&mut conn, &claims.sub, &idp.id).await?;
    drop(conn);
    let Some(mut row) = row else {
        return Ok(refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the user has no stored token for this provider",
        ));
    };
    let now = state.now();
    if row.expires_at.is_some_and(|at| at - now <= SERVE_MARGIN) {
        match refresh(&state, &idp, &row).await {
            Ok(new) => row = new,
            Err(e) => {
                // Another request may have rotated it a moment ago: serve what it stored.
                let mut conn = state.db.conn().await?;
                match store::identity_providers::tokens(&mut conn, &claims.sub, &idp.id).await? {
                    Some(now_stored) if now_stored.updated_at > row.updated_at => row = now_stored,
                    _ => {
                        tracing::warn!(error = %e, "refreshing an upstream token");
                        return Ok(refusal(
                            StatusCode::BAD_GATEWAY,
                            "temporarily_unavailable",
                            "the stored token expired and the provider did not refresh it",
                        ));
                    }
                }
            }
        }
    }
    let access = open(&state, &row, "access", &row.access_sealed)
        .ok_or_else(|| OAuthError::internal("a stored upstream token does not open with this master key"))?;
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), json!(access));
    body.insert("token_type".into(), json!(row.token_type));
    if let Some(at) = row.expires_at {
        body.insert("expires_in".into(), json!((at - now).max(0)));
        // Keycloak's field: when it expires, in seconds since the epoch.
        body.insert("accessTokenExpiration".into(), json!(at));
    }
    if let Some(s) = &row.scope {
        body.insert("scope".into(), json!(s));
    }
    Ok((no_store_headers(), Json(serde_json::Value::Object(body))).into_response())
}
