//! The realm's JWKS (RFC 7517 §5): every published public key, never a private part.

use super::{error::OAuthError, load_realm};
use crate::state::AppState;
use axum::{
    extract::{Path, State},
    http::header,
    response::IntoResponse,
};

/// `GET {realm}/protocol/openid-connect/certs`.
pub async fn certs(State(state): State<AppState>, Path(realm): Path<String>) -> Result<impl IntoResponse, OAuthError> {
    let realm = load_realm(&state, &realm).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=60")],
        realm.keys.jwks().to_owned(),
    ))
}
