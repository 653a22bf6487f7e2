//! Token revocation (RFC 7009). Revoking an access token denies its `jti` until it would have
//! expired; revoking a refresh token revokes its whole family and, by the family's marker,
//! every access token issued in it. `token_type_hint` is only a hint (§2.1): the token is
//! recognised by what it is. Invalid or unknown tokens get 200, as §2.2 requires, and so does
//! a token of another client, which is left alone: the answer never tells a client whether
//! someone else's token is valid.

use super::{access_token, client_auth, error::OAuthError, form::OAuthForm, load_realm};
use crate::{
    crypto::token_hash,
    net::ClientIp,
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
};

/// What a presented token turned out to be.
enum Revocable {
    /// An access token: its `jti`, until its `exp`.
    Access { jti: String, exp: i64, subject: String },
    /// A refresh token: its family.
    Refresh { family_id: String, subject: String },
}

/// `POST {realm}/protocol/openid-connect/revoke`.
#[tracing::instrument(skip_all, fields(realm = %realm_name, client_id))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(realm_name): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<impl IntoResponse, OAuthError> {
    let realm = load_realm(&state, &realm_name).await?;
    let caller = client_auth::authenticate(&state, &realm, &headers, &params, ip).await?;
    let token = params.require("token")?;
    let caller_pk = &caller.client.row.id;
    let found = match access_token::verify(&state, &realm, token).await {
        Ok((claims, client)) => (client.row.id == *caller_pk).then(|| Revocable::Access {
            jti: claims.jti.clone(),
            exp: claims.exp,
            subject: claims.sub.clone(),
        }),
        Err(_) => {
            let mut conn = state.db.conn().await?;
            store::refresh_tokens::get(&mut conn, &token_hash(super::refresh_envelope::secret(token)))
                .await?
                .filter(|r| r.client_pk == *caller_pk && r.realm_id == realm.id && r.revoked_at.is_none())
                .map(|r| Revocable::Refresh { family_id: r.family_id, subject: r.user_id })
        }
    };
    let Some(found) = found else {
        return Ok(super::error::no_store_headers());
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (subject, kind) = match &found {
        Revocable::Access { jti, exp, subject } => {
            store::revocations::revoke(&mut tx, jti, &realm.id, *exp, now).await?;
            (subject, "access_token")
        }
        Revocable::Refresh { family_id, subject } => {
            store::refresh_tokens::end_family(&mut tx, &realm.id, family_id, now).await?;
            (subject, "refresh_token")
        }
    };
    let ev = NewAudit {
        realm_id: Some(&realm.id),
        kind: "token.revoked",
        actor: caller.client.client_id(),
        client_id: Some(caller.client.client_id()),
        subject: Some(subject),
        ip: Some(&ip.to_string()),
        detail: Some(serde_json::json!({ "token_type": kind })),
    };
    store::audit::insert(&mut tx, &ev, now).await?;
    tx.commit().await?;
    Ok(super::error::no_store_headers())
}
