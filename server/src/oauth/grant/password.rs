//! The resource owner password credentials grant (RFC 6749 §4.3), only for clients allowed it
//! and behind the same brute-force protection as the sign-in page.

use super::{check_allowed, resolve_scope, TokenResponse};
use crate::{
    crypto::random_token,
    flow::{brute_force, sso},
    model::GrantType,
    oauth::{
        client_auth::AuthenticatedClient,
        error::OAuthError,
        tokens::{self, RefreshPlan, UserGrant},
    },
    registry::Realm,
    state::AppState,
    store::{self, audit::NewAudit},
};
use serde::Deserialize;
use std::net::IpAddr;

/// The grant's parameters.
#[derive(Deserialize)]
pub struct Request {
    pub username: String,
    pub password: String,
    pub scope: Option<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Signs the user in and issues tokens.
pub async fn handle(
    state: &AppState,
    realm: &Realm,
    client: AuthenticatedClient,
    req: Request,
    ip: IpAddr,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    check_allowed(realm, &client, GrantType::Password)?;
    let client = client.client;
    let scopes = resolve_scope(realm, &client, req.scope.as_deref())?;
    let user = brute_force::password_login(state, realm, &req.username, &req.password, ip)
        .await
        .map_err(|e| OAuthError::invalid_grant(e.message()))?;
    // A temporary password must be replaced on the sign-in page first (Keycloak answers so
    // while a required action is pending).
    if user.password_temporary {
        return Err(OAuthError::invalid_grant("Account is not fully set up"));
    }
    let session = sso::new_session_row(&user, now, &ip.to_string(), None);
    let family_id = random_token::<16>();
    let mut tx = state.db.begin().await?;
    store::user_sessions::insert(&mut tx, &session).await?;
    let ev = NewAudit {
        realm_id: Some(&realm.id),
        kind: "user.login",
        actor: &user.username,
        client_id: Some(client.client_id()),
        subject: Some(&user.id),
        ip: Some(&ip.to_string()),
        detail: Some(serde_json::json!({ "grant": "password" })),
    };
    store::audit::insert(&mut tx, &ev, now).await?;
    let refresh = RefreshPlan::new_family(&client, &scopes);
    let grant = UserGrant {
        realm,
        client: &client,
        user: &user,
        session_id: &session.id,
        auth_time: now,
        scopes: &scopes,
        nonce: None,
        family_id: &family_id,
        offline: refresh.is_offline(),
        grant: GrantType::Password,
    };
    tokens::issue(state, tx, grant, refresh, now).await
}
