//! Token revocation (RFC 7009). Revoking an access token denies its `jti` until it would have
//! expired. Invalid or unknown tokens get 200, as §2.2 requires; a valid token of another
//! client is refused with `unauthorized_client` (§2.1).

use super::{access_token, client_auth, error::OAuthError, form::OAuthForm, load_realm};
use crate::{
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    response::IntoResponse,
};
use std::net::SocketAddr;

/// `POST {realm}/protocol/openid-connect/revoke`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, client_id))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<impl IntoResponse, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let caller = client_auth::authenticate(&state, &realm, &headers, &params, peer.ip()).await?;
    let token = params.require("token")?;
    // token_type_hint is only a hint (§2.1); an access token is recognised by its form.
    if let Ok((claims, _)) = access_token::verify(&state, &realm, token).await {
        if claims.client_id != caller.client.client_id() {
            return Err(OAuthError::unauthorized_client("the token was not issued to this client"));
        }
        let now = state.now();
        let mut tx = state.db.begin().await?;
        store::revocations::revoke(&mut tx, &claims.jti, &realm.id, claims.exp, now).await?;
        let ev = NewAudit {
            realm_id: Some(&realm.id),
            kind: "token.revoked",
            actor: caller.client.client_id(),
            client_id: Some(caller.client.client_id()),
            subject: Some(&claims.sub),
            ip: Some(&peer.ip().to_string()),
            ..Default::default()
        };
        store::audit::insert(&mut tx, &ev, now).await?;
        tx.commit().await?;
    }
    Ok(super::error::no_store_headers())
}
