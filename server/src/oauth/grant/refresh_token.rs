//! The refresh token grant (RFC 6749 §6) with rotation and replay detection (RFC 9700 §4.14).
//!
//! Every use rotates the token (one atomic `UPDATE … WHERE rotated_at IS NULL`). A rotated token
//! presented again within the client's reuse window (default 5 s) gets the same successor — two
//! tabs refreshing at once stay signed in — and after it, the whole family is revoked. The scope
//! may only narrow; the token is bound to its client; online tokens die with their SSO session.

use super::{check_allowed, TokenResponse};
use crate::{
    crypto::token_hash,
    model::GrantType,
    oauth::{
        client_auth::AuthenticatedClient,
        error::OAuthError,
        refresh_envelope,
        tokens::{self, Handed, RefreshPlan, UserGrant},
    },
    registry::{Client, Realm},
    state::AppState,
    store::{
        self,
        audit::NewAudit,
        refresh_tokens::{RefreshRow, Rotation},
        users::UserRow,
    },
};
use serde::Deserialize;
use std::sync::Arc;

/// The grant's parameters.
#[derive(Debug, Deserialize)]
pub struct Request {
    pub refresh_token: String,
    pub scope: Option<String>,
}

/// Keycloak's wording leads each message: `python-keycloak` signs in again when a refresh
/// fails with "Token is not active" or "Session not active".
const INVALID: &str = "Token is not active: the refresh token is invalid, expired or revoked";

/// Refreshes.
pub async fn handle(
    state: &AppState,
    realm: &Arc<Realm>,
    client: AuthenticatedClient,
    req: Request,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    check_allowed(realm, &client, GrantType::RefreshToken)?;
    let client = client.client;
    let presented = refresh_envelope::secret(&req.refresh_token);
    let hash = token_hash(presented);
    if client.row.refresh_token_rotation {
        if let Some(issued) = rotate_live(state, realm, &client, presented, &hash, &req, now).await? {
            return Ok(issued);
        }
    }
    let mut tx = state.db.begin().await?;

    if !client.row.refresh_token_rotation {
        let row = store::refresh_tokens::get(&mut tx, &hash)
            .await?
            .filter(|r| r.client_pk == client.row.id && r.revoked_at.is_none());
        let row = row.ok_or_else(|| OAuthError::invalid_grant(INVALID))?;
        let plan =
            RefreshPlan::Existing { token: presented.to_owned(), issued_at: row.issued_at, expires_at: row.expires_at };
        return finish(state, tx, realm, &client, &row, req.scope.as_deref(), plan, now).await;
    }

    let successor = tokens::successor_of(state, presented);
    let successor_hash = token_hash(&successor);
    if let Some(row) = store::refresh_tokens::rotate(&mut tx, &hash, &successor_hash, now).await? {
        if row.client_pk != client.row.id {
            // Someone else's token: undo the rotation, tell nothing.
            drop(tx);
            return Err(OAuthError::invalid_grant(INVALID));
        }
        let plan = RefreshPlan::Store { token: successor, family_scope: row.scope.clone(), offline: row.offline };
        return finish(state, tx, realm, &client, &row, req.scope.as_deref(), plan, now).await;
    }

    // Not rotatable: unknown, revoked, or already rotated.
    let Some(row) = store::refresh_tokens::get(&mut tx, &hash).await?.filter(|r| r.client_pk == client.row.id) else {
        return Err(OAuthError::invalid_grant(INVALID));
    };
    let (Some(rotated_at), None) = (row.rotated_at, row.revoked_at) else {
        return Err(OAuthError::invalid_grant(INVALID));
    };
    if now - rotated_at < client.row.refresh_reuse_window
        && row.successor_hash.as_deref() == Some(successor_hash.as_str())
    {
        let next = store::refresh_tokens::get(&mut tx, &successor_hash).await?;
        if let Some(next) = next.filter(|n| n.rotated_at.is_none() && n.revoked_at.is_none()) {
            let plan =
                RefreshPlan::Existing { token: successor, issued_at: next.issued_at, expires_at: next.expires_at };
            return finish(state, tx, realm, &client, &row, req.scope.as_deref(), plan, now).await;
        }
    }
    // A rotated token came back: it was stolen, or the client is broken. Revoke the family.
    store::refresh_tokens::end_family(&mut tx, &realm.id, &row.family_id, now).await?;
    let ev = NewAudit {
        realm_id: Some(&realm.id),
        kind: "refresh.reused",
        actor: client.client_id(),
        client_id: Some(client.client_id()),
        subject: Some(&row.user_id),
        ..Default::default()
    };
    store::audit::insert(&mut tx, &ev, now).await?;
    tx.commit().await?;
    Err(OAuthError::invalid_grant(
        "Token is not active: the refresh token was already used; its session has been revoked",
    ))
}

/// The common case, a live token rotated: the token and its user read, checked and rotated
/// in one write (see [`store::refresh_tokens::rotate_decided`]; on SQLite the checks below run
/// on the writer thread), the tokens signed after it. `None` when the token is not live
/// (unknown to this read, rotated, revoked) or a racing request rotated it first: the
/// transactional path then decides, as for any token. The tokens are signed on
/// [`crate::crypto::fifo`]'s threads, in the order the requests got there.
async fn rotate_live(
    state: &AppState,
    realm: &Arc<Realm>,
    client: &Arc<Client>,
    presented: &str,
    hash: &str,
    req: &Request,
    now: i64,
) -> Result<Option<TokenResponse>, OAuthError> {
    let successor = tokens::successor_of(state, presented);
    let (realm_ref, client_ref, scope) = (realm.clone(), client.clone(), req.scope.clone());
    let decide = move |row: RefreshRow, found| -> Result<Option<Rotation<_>>, OAuthError> {
        let (realm, client) = (&*realm_ref, &*client_ref);
        if row.client_pk != client.row.id || row.rotated_at.is_some() || row.revoked_at.is_some() {
            return Ok(None);
        }
        let scopes = check(realm, client, &row, scope.as_deref(), now)?;
        let (user, seen, roles) = match crate::flow::sso::admitted(found, realm) {
            Some((f, roles)) => (Some(f.user), f.session_seen_at, roles),
            None => (None, None, Vec::new()),
        };
        let checked = admit(&row, user, scopes, seen)?;
        let grant = checked.grant(realm, client, &row);
        grant.check_realm()?;
        let next = tokens::refresh_row(&grant, &successor, row.scope.clone(), row.offline, now);
        let touch_session = checked.session_seen_at.is_some_and(|t| store::user_sessions::seen_due(t, now));
        let expires_at = next.expires_at;
        Ok(Some(Rotation { next, touch_session, out: (row, checked, roles, successor, expires_at) }))
    };
    let s = &realm.settings;
    let limits = (s.sso_session_idle_timeout, s.sso_session_max_lifespan);
    let rotated = store::refresh_tokens::rotate_decided(&state.db, hash, now, limits, decide).await?;
    let Some((row, checked, roles, successor, expires_at)) = rotated? else {
        return Ok(None);
    };
    let (state, realm, client) = (state.clone(), realm.clone(), client.clone());
    tokens::signed_in_order(move || {
        let (realm_roles, client_roles) = tokens::roles_in_scope(&client, roles);
        let grant = checked.grant(&realm, &client, &row);
        let handed = Handed { token: successor, offline: row.offline, issued_at: now, expires_at };
        tokens::respond(&state, &grant, &realm_roles, &client_roles, Some(handed), now)
    })
    .await
    .map(Some)
}

/// What [`admit`] found: the user, the scopes of the new tokens, and when the live SSO
/// session was last seen (none for an offline family).
struct Checked {
    user: UserRow,
    scopes: Vec<String>,
    session_seen_at: Option<i64>,
}

impl Checked {
    fn grant<'a>(&'a self, realm: &'a Realm, client: &'a Client, row: &'a RefreshRow) -> UserGrant<'a> {
        UserGrant {
            realm,
            client,
            user: &self.user,
            session_id: &row.session_id,
            auth_time: row.auth_time,
            scopes: &self.scopes,
            nonce: None,
            family_id: &row.family_id,
            offline: row.offline,
            grant: GrantType::RefreshToken,
        }
    }
}

/// The token's own state: not expired, the scope only narrowed, issued after the not-before
/// times. Returns the scopes of the new tokens.
fn check(
    realm: &Realm,
    client: &Client,
    row: &RefreshRow,
    requested_scope: Option<&str>,
    now: i64,
) -> Result<Vec<String>, OAuthError> {
    if row.expires_at.is_some_and(|e| e <= now) {
        return Err(OAuthError::invalid_grant(INVALID));
    }
    let granted: Vec<String> = row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let scopes = match requested_scope {
        None => granted,
        Some(requested) => {
            let requested =
                crate::model::scope::parse(requested).ok_or_else(|| OAuthError::invalid_scope("malformed scope"))?;
            if let Some(extra) = requested.iter().find(|s| !granted.contains(s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {extra:?} was not granted; a refresh may only narrow the scope"
                )));
            }
            requested
        }
    };
    if row.issued_at < realm.settings.not_before || row.issued_at < client.row.not_before {
        return Err(OAuthError::invalid_grant(
            "Token is not active: the refresh token was issued before the not-before time",
        ));
    }
    Ok(scopes)
}

/// The family's holder: its user enabled and of `realm` (the caller read it so), and for
/// online tokens its SSO session live (`session_seen_at`, when it was last seen).
fn admit(
    row: &RefreshRow,
    user: Option<UserRow>,
    scopes: Vec<String>,
    session_seen_at: Option<i64>,
) -> Result<Checked, OAuthError> {
    let Some(user) = user else {
        return Err(OAuthError::invalid_grant("Token is not active: the user is disabled or deleted"));
    };
    let session_seen_at = session_seen_at.filter(|_| !row.offline);
    if !row.offline && session_seen_at.is_none() {
        return Err(OAuthError::invalid_grant("Session not active: the sign-in session has ended"));
    }
    Ok(Checked { user, scopes, session_seen_at })
}

/// Validates the family's state and issues the new token set.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    mut tx: store::Tx,
    realm: &Realm,
    client: &Client,
    row: &RefreshRow,
    requested_scope: Option<&str>,
    plan: RefreshPlan,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let scopes = check(realm, client, row, requested_scope, now)?;
    let user = store::users::by_id(&mut tx, &row.user_id).await?.filter(|u| u.enabled && u.realm_id == realm.id);
    let seen = match row.offline {
        true => None,
        false => crate::flow::sso::live(&mut tx, realm, &row.session_id, now).await?.map(|s| s.last_seen_at),
    };
    let checked = admit(row, user, scopes, seen)?;
    tokens::issue(state, tx, checked.grant(realm, client, row), plan, now).await
}
