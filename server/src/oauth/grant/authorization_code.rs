//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5, OIDC Core §3.1.3).
//!
//! The code is redeemed atomically (one `UPDATE … WHERE used_at IS NULL RETURNING`), bound to
//! its client, redirect URI and PKCE challenge, and valid for the realm's code lifespan (60 s).
//! A second redemption fails and revokes everything the first one issued (RFC 6749 §4.1.2,
//! RFC 9700 §4.5): the refresh family, and by marker its access tokens.

use super::{check_allowed, TokenResponse};
use crate::{
    crypto::{random_token, token_hash},
    model::{pkce, GrantType},
    oauth::{
        client_auth::AuthenticatedClient,
        error::OAuthError,
        tokens::{self, Handed, RefreshPlan, UserGrant},
    },
    registry::{Client, Realm},
    state::AppState,
    store::{self, audit::NewAudit, auth_codes::Redemption},
};
use serde::Deserialize;
use std::sync::Arc;

/// The grant's parameters.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

const INVALID: &str = "the authorization code is invalid, expired or already used";

/// Exchanges the code.
pub async fn handle(
    state: &AppState,
    realm: &Arc<Realm>,
    client: AuthenticatedClient,
    req: Request,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    check_allowed(realm, &client, GrantType::AuthorizationCode)?;
    let client = client.client;
    let code_hash = token_hash(&req.code);
    let family_id = random_token::<16>();
    if let Some(issued) = redeem_valid(state, realm, &client, &req, &code_hash, &family_id, now).await? {
        return Ok(issued);
    }
    let mut tx = state.db.begin().await?;
    let Some(code) = store::auth_codes::redeem(&mut tx, &code_hash, &family_id, now).await? else {
        if let Some(used) = store::auth_codes::get(&mut tx, &code_hash).await? {
            if let (Some(_), Some(family)) = (used.used_at, &used.family_id) {
                if used.client_pk == client.row.id {
                    store::refresh_tokens::end_family(&mut tx, &realm.id, family, now).await?;
                    let ev = NewAudit {
                        realm_id: Some(&realm.id),
                        kind: "code.replayed",
                        actor: client.client_id(),
                        client_id: Some(client.client_id()),
                        subject: Some(&used.user_id),
                        ..Default::default()
                    };
                    store::audit::insert(&mut tx, &ev, now).await?;
                    tx.commit().await?;
                    return Err(OAuthError::invalid_grant(
                        "the authorization code was already used; the tokens issued for it are revoked",
                    ));
                }
            }
        }
        return Err(OAuthError::invalid_grant(INVALID));
    };
    // From here on the code is spent, whatever the outcome: a failed attempt with a stolen code
    // must not leave it redeemable.
    let failure = check(&code, &client.row.id, &req, now);
    let user = store::users::by_id(&mut tx, &code.user_id).await?.filter(|u| u.enabled && u.realm_id == realm.id);
    let session_live = crate::flow::sso::live(&mut tx, realm, &code.session_id, now).await?.is_some();
    let failure = failure.or_else(|| match (&user, session_live) {
        (None, _) => Some(OAuthError::invalid_grant("the user is disabled or deleted")),
        (_, false) => Some(OAuthError::invalid_grant("the sign-in session has ended")),
        _ => None,
    });
    let (Some(user), None) = (user, failure.clone()) else {
        tx.commit().await?;
        return Err(failure.unwrap_or_else(|| OAuthError::invalid_grant(INVALID)));
    };
    let scopes: Vec<String> = code.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let refresh = RefreshPlan::new_family(&client, &scopes);
    let grant = redeemed_grant(realm, &client, &code, &user, &scopes, &family_id, refresh.is_offline());
    tokens::issue(state, tx, grant, refresh, now).await
}

/// The common case, an unused code that passes every check: the code and its user read,
/// checked and redeemed with the family's first refresh token and the session's use in one
/// write (see [`store::auth_codes::redeem_decided`]; on SQLite the checks below run on the
/// writer thread), the tokens signed after it. `None` for anything else — a used or unknown
/// code, a failed check, a racing redemption that came first: the transactional path then
/// decides (and spends the code), as for any code. The tokens are signed on
/// [`crate::crypto::fifo`]'s threads, in the order the requests got there.
async fn redeem_valid(
    state: &AppState,
    realm: &Arc<Realm>,
    client: &Arc<Client>,
    req: &Request,
    code_hash: &str,
    family_id: &str,
    now: i64,
) -> Result<Option<TokenResponse>, OAuthError> {
    let (realm_ref, client_ref, req, family) = (realm.clone(), client.clone(), req.clone(), family_id.to_owned());
    let decide = move |code: store::auth_codes::AuthCodeRow, found| -> Result<Option<Redemption<_>>, OAuthError> {
        let (realm, client) = (&*realm_ref, &*client_ref);
        if code.used_at.is_some() || check(&code, &client.row.id, &req, now).is_some() {
            return Ok(None);
        }
        let Some((f, roles)) = crate::flow::sso::admitted(found, realm) else {
            return Ok(None);
        };
        let Some(session_seen_at) = f.session_seen_at else {
            return Ok(None);
        };
        let scopes: Vec<String> = code.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let plan = RefreshPlan::new_family(client, &scopes);
        let offline = plan.is_offline();
        let grant = redeemed_grant(realm, client, &code, &f.user, &scopes, &family, offline);
        grant.check_realm()?;
        let (refresh, handed) = match plan {
            RefreshPlan::Store { token, family_scope, offline } => {
                let row = tokens::refresh_row(&grant, &token, family_scope, offline, now);
                let handed = Handed { token, offline, issued_at: now, expires_at: row.expires_at };
                (Some(row), Some(handed))
            }
            RefreshPlan::None | RefreshPlan::Existing { .. } => (None, None),
        };
        let touch_session = store::user_sessions::seen_due(session_seen_at, now);
        Ok(Some(Redemption { refresh, touch_session, out: (code, f.user, roles, scopes, offline, handed) }))
    };
    let s = &realm.settings;
    let limits = (s.sso_session_idle_timeout, s.sso_session_max_lifespan);
    let redeemed = store::auth_codes::redeem_decided(&state.db, code_hash, family_id, now, limits, decide).await?;
    let Some((code, user, roles, scopes, offline, handed)) = redeemed? else {
        return Ok(None);
    };
    let (state, realm, client, family) = (state.clone(), realm.clone(), client.clone(), family_id.to_owned());
    tokens::signed_in_order(move || {
        let (realm_roles, client_roles) = tokens::roles_in_scope(&client, roles);
        let grant = redeemed_grant(&realm, &client, &code, &user, &scopes, &family, offline);
        tokens::respond(&state, &grant, &realm_roles, &client_roles, handed, now)
    })
    .await
    .map(Some)
}

/// The grant of a redeemed `code`.
fn redeemed_grant<'a>(
    realm: &'a Realm,
    client: &'a Client,
    code: &'a store::auth_codes::AuthCodeRow,
    user: &'a store::users::UserRow,
    scopes: &'a [String],
    family_id: &'a str,
    offline: bool,
) -> UserGrant<'a> {
    UserGrant {
        realm,
        client,
        user,
        session_id: &code.session_id,
        auth_time: code.auth_time,
        scopes,
        nonce: code.nonce.as_deref(),
        family_id,
        offline,
        grant: GrantType::AuthorizationCode,
    }
}

/// The checks of RFC 6749 §4.1.3 and RFC 7636 §4.6, in the order an attacker learns least.
fn check(code: &store::auth_codes::AuthCodeRow, client_pk: &str, req: &Request, now: i64) -> Option<OAuthError> {
    if code.client_pk != client_pk {
        return Some(OAuthError::invalid_grant(INVALID));
    }
    if code.expires_at <= now {
        return Some(OAuthError::invalid_grant(INVALID));
    }
    match (&code.code_challenge, &req.code_verifier) {
        (Some(challenge), Some(verifier)) if pkce::verify_s256(verifier, challenge) => {}
        (Some(_), _) => return Some(OAuthError::invalid_grant("PKCE verification failed")),
        // A verifier without a challenge is a downgrade attempt (RFC 9700 §4.8.2).
        (None, Some(_)) => return Some(OAuthError::invalid_grant("no PKCE challenge was sent for this code")),
        (None, None) => {}
    }
    match &req.redirect_uri {
        Some(uri) if uri != &code.redirect_uri => {
            Some(OAuthError::invalid_grant("redirect_uri does not match the authorization request"))
        }
        // RFC 6749 §4.1.3: required when the authorization request carried one, unless PKCE
        // binds the code to its client (as OAuth 2.1 allows).
        None if code.code_challenge.is_none() => Some(OAuthError::invalid_request("missing parameter: redirect_uri")),
        _ => None,
    }
}
