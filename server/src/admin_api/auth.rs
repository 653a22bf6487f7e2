//! Who calls the admin API: the bearer access token of a realm's own token endpoint (a user,
//! e.g. through the public `admin-cli` client with the password grant, or a client's service
//! account through `client_credentials`). The token's issuer names its realm; the token is
//! verified there like at userinfo; the permissions then come from the stored role mappings of
//! that user or service account, never from the token's claims. An API key (`pcs_…`) works too,
//! with exactly the permissions of the roles it was given.

use super::error::ApiError;
use crate::{
    manage::{actor::Holder, api_key, Actor},
    oauth::access_token::{self, Rejection},
    state::AppState,
    store,
};
use axum::{extract::FromRequestParts, http::request::Parts};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// The authenticated caller of an admin API request.
pub struct ApiActor(pub Actor);

/// The realm name in a token's `iss` (`…/realms/{name}`), read before the token is verified
/// (verification then happens with that realm's keys and issuer).
fn issuer_realm(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let iss = claims.get("iss")?.as_str()?;
    Some(iss.rsplit_once("/realms/")?.1.to_owned())
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        if token.starts_with(api_key::KEY_PREFIX) {
            // An API key: exactly the permissions of the roles it was given, read now.
            let m = &state.manager;
            let key = m.verify_api_key(&state.registry.credentials, token).await?.ok_or_else(ApiError::unauthorized)?;
            let permissions = m.permissions_of_api_key(&key).await?;
            return Ok(ApiActor(key.actor(permissions)));
        }
        let realm_name = issuer_realm(token).ok_or_else(ApiError::unauthorized)?;
        let realm = match state.registry.realm(&realm_name).await {
            Ok(Some(r)) if r.settings.enabled => r,
            Ok(_) => return Err(ApiError::unauthorized()),
            Err(crate::registry::LoadError::Db(e)) if crate::store::is_unavailable(&e) => {
                return Err(ApiError::unavailable(e))
            }
            Err(e) => {
                tracing::error!(error = %e, "loading realm");
                return Err(ApiError::unauthorized());
            }
        };
        let (claims, client) = match access_token::verify(state, &realm, token).await {
            Ok(v) => v,
            Err(Rejection::Expired | Rejection::Invalid(_)) => return Err(ApiError::unauthorized()),
            Err(Rejection::Unavailable) => return Err(ApiError::unavailable("reading the token's status")),
        };
        if let Some(origins) = parts.extensions.get::<super::cors::TokenOrigins>() {
            origins.set(client.web_origins());
        }
        let m = &state.manager;
        let actor = match claims.is_service_account() {
            true => {
                let permissions = m.permissions_of_service_account(&client.row).await?;
                Actor::user(access_token::service_account_username(client.client_id()), permissions)
                    .held_by(Holder::ServiceAccount(client.row.id.clone()))
            }
            false => {
                let mut conn = state.db.conn().await?;
                let user = store::users::by_id(&mut conn, &claims.sub)
                    .await?
                    .filter(|u| u.enabled && u.realm_id == realm.id)
                    .ok_or_else(ApiError::unauthorized)?;
                drop(conn);
                let permissions = m.permissions_of(&user).await?;
                Actor::user(user.username, permissions).held_by(Holder::User(user.id))
            }
        };
        Ok(ApiActor(actor))
    }
}
