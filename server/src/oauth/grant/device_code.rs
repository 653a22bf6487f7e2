//! The device code grant (RFC 8628 §3.4–3.5): the device polls until the person approves or
//! denies. Polling faster than the interval gets `slow_down` and 5 more seconds; the tokens are
//! issued exactly once (one atomic `UPDATE … WHERE status = 'approved'`).

use super::{check_allowed, TokenResponse};
use crate::{
    crypto::{random_token, token_hash},
    model::GrantType,
    oauth::{
        client_auth::AuthenticatedClient,
        error::{ErrorCode, OAuthError},
        tokens::{self, RefreshPlan, UserGrant},
    },
    registry::Realm,
    state::AppState,
    store,
};
use serde::Deserialize;

/// The grant's parameters.
#[derive(Debug, Deserialize)]
pub struct Request {
    pub device_code: String,
}

/// Answers one poll.
pub async fn handle(
    state: &AppState,
    realm: &Realm,
    client: AuthenticatedClient,
    req: Request,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    check_allowed(realm, &client, GrantType::DeviceCode)?;
    let client = client.client;
    let hash = token_hash(&req.device_code);
    let mut tx = state.db.begin().await?;
    let Some(row) = store::device_codes::poll(&mut tx, &hash, now).await? else {
        return Err(OAuthError::invalid_grant("unknown device code"));
    };
    if row.client_pk != client.row.id {
        // Not this client's: leave its polling state alone.
        drop(tx);
        return Err(OAuthError::invalid_grant("unknown device code"));
    }
    if row.expires_at <= now {
        tx.commit().await?;
        return Err(OAuthError::new(ErrorCode::ExpiredToken, "the device code has expired; start again"));
    }
    match row.status.as_str() {
        "pending" => {
            tx.commit().await?;
            Err(if row.slowed {
                OAuthError::new(ErrorCode::SlowDown, format!("poll at most every {} seconds", row.poll_interval))
            } else {
                OAuthError::new(ErrorCode::AuthorizationPending, "the user has not yet approved the request")
            })
        }
        "denied" => {
            tx.commit().await?;
            Err(OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"))
        }
        "approved" => {
            let Some(row) = store::device_codes::consume(&mut tx, &hash).await? else {
                return Err(OAuthError::invalid_grant("the device code was already used"));
            };
            let (Some(user_id), Some(session_id), Some(auth_time)) = (&row.user_id, &row.session_id, row.auth_time)
            else {
                return Err(OAuthError::internal("approved device code without its user"));
            };
            let Some(user) =
                store::users::by_id(&mut tx, user_id).await?.filter(|u| u.enabled && u.realm_id == realm.id)
            else {
                tx.commit().await?;
                return Err(OAuthError::invalid_grant("the user is disabled or deleted"));
            };
            let scopes: Vec<String> = row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let family_id = random_token::<16>();
            let refresh = RefreshPlan::new_family(&client, &scopes);
            let grant = UserGrant {
                realm,
                client: &client,
                user: &user,
                session_id,
                auth_time,
                scopes: &scopes,
                nonce: None,
                family_id: &family_id,
                offline: refresh.is_offline(),
                grant: GrantType::DeviceCode,
            };
            tokens::issue(state, tx, grant, refresh, now).await
        }
        _ => {
            tx.commit().await?;
            Err(OAuthError::invalid_grant("the device code was already used"))
        }
    }
}
