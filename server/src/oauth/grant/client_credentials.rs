//! The client credentials grant (RFC 6749 §4.4): a confidential client obtains an access token
//! for its own service account. No refresh token is issued (§4.4.3).

use super::{check_allowed, not_before_policy, resolve_scope, TokenResponse};
use crate::{
    model::GrantType,
    oauth::{
        access_token::{self, Subject},
        client_auth::AuthenticatedClient,
        error::OAuthError,
    },
    registry::Realm,
    state::AppState,
};
use serde::Deserialize;

/// The grant's parameters (§4.4.2).
#[derive(Debug, Deserialize)]
pub struct Request {
    pub scope: Option<String>,
}

/// Issues the token.
pub fn handle(
    state: &AppState,
    realm: &Realm,
    client: AuthenticatedClient,
    req: Request,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    check_allowed(realm, &client, GrantType::ClientCredentials)?;
    if !client.client.row.confidential {
        return Err(OAuthError::unauthorized_client("public clients cannot use client_credentials"));
    }
    let client = client.client;
    let scope = resolve_scope(realm, &client, req.scope.as_deref())?.join(" ");
    let issued = access_token::issue(realm, &client, Subject::ServiceAccount, scope, now)?;
    state.stats.count(&client.pk, &realm.id, client.client_id(), GrantType::ClientCredentials);
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        refresh_token: None,
        refresh_expires_in: None,
        id_token: None,
        scope: issued.claims.scope,
        not_before_policy: not_before_policy(realm, &client),
        session_state: None,
    })
}
