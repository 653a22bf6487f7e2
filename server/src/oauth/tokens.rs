//! The token set a user grant ends in (authorization code, refresh, password, device): an
//! access token in the grant's refresh family, a refresh token when the client may refresh, and
//! an ID token when `openid` was granted.

use super::{
    access_token::{self, Subject, UserSubject},
    error::OAuthError,
    grant::{not_before_policy, TokenResponse},
    id_token::{self, IdTokenRequest},
    refresh_envelope,
};
use crate::{
    model::GrantType,
    registry::{Client, Realm},
    state::AppState,
    store::{self, refresh_tokens::RefreshRow, users::UserRow, Tx},
};
use std::collections::BTreeMap;

/// Who and what a user grant is for.
pub struct UserGrant<'a> {
    pub realm: &'a Realm,
    pub client: &'a Client,
    pub user: &'a UserRow,
    pub session_id: &'a str,
    pub auth_time: i64,
    /// The scopes of this access token.
    pub scopes: &'a [String],
    pub nonce: Option<&'a str>,
    pub family_id: &'a str,
    /// Whether the family is an offline one (`offline_access`): its tokens outlive the SSO
    /// session, so its access tokens do not name the session (`sid`) a logout revokes.
    pub offline: bool,
    /// Which grant, for the counters.
    pub grant: GrantType,
}

impl UserGrant<'_> {
    /// A token of realm A is never issued about a user of realm B, whatever path led here
    /// (the cross-realm device approval of the security review).
    pub fn check_realm(&self) -> Result<(), OAuthError> {
        if self.user.realm_id != self.realm.id || self.client.row.realm_id != self.realm.id {
            tracing::error!(realm = %self.realm.name, "refused a token for a user or client of another realm");
            return Err(OAuthError::invalid_grant("the grant does not belong to this realm"));
        }
        Ok(())
    }
}

/// What to do about the refresh token.
pub enum RefreshPlan {
    /// Issue none (the client may not use the refresh grant).
    None,
    /// Store and return this new token (its secret); `family_scope` is what the family was
    /// granted.
    Store { token: String, family_scope: String, offline: bool },
    /// Return a token that already exists (rotation off, or the reuse window): its secret and
    /// its row's times, so the token handed out is the very same string each time.
    Existing { token: String, issued_at: i64, expires_at: Option<i64> },
}

impl RefreshPlan {
    /// Whether this plan starts an offline family.
    pub fn is_offline(&self) -> bool {
        matches!(self, RefreshPlan::Store { offline: true, .. })
    }

    /// A new family for a fresh grant of `scopes`, or none when the client may not refresh.
    /// `offline_access` makes the family outlive the SSO session.
    pub fn new_family(client: &Client, scopes: &[String]) -> RefreshPlan {
        if !issues_refresh(client) {
            return RefreshPlan::None;
        }
        RefreshPlan::Store {
            token: crate::crypto::random_token::<32>(),
            family_scope: scopes.join(" "),
            offline: scopes.iter().any(|s| s == "offline_access"),
        }
    }
}

/// The refresh-token lifespan for `client` in seconds; 0 means it never expires.
pub fn refresh_lifespan(realm: &Realm, client: &Client) -> i64 {
    client.row.refresh_token_lifespan.unwrap_or(realm.settings.refresh_token_lifespan).max(0)
}

/// Whether the client gets refresh tokens.
pub fn issues_refresh(client: &Client) -> bool {
    client.allows_grant(GrantType::RefreshToken)
}

/// Issues the token set: stores a new refresh token in `tx` and commits it, then signs. Signing
/// (ES256, and RS256 for ID tokens, the costliest step) happens after the commit, so a write
/// transaction (on SQLite, the database's one write lock) is never held while signing.
pub async fn issue(
    state: &AppState,
    mut tx: Tx,
    g: UserGrant<'_>,
    refresh: RefreshPlan,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    g.check_realm()?;
    let (realm_roles, client_roles) = user_roles(&mut tx, g.client, &g.user.id).await?;
    let refresh = match refresh {
        RefreshPlan::None => None,
        RefreshPlan::Store { token, family_scope, offline } => {
            let row = refresh_row(&g, &token, family_scope, offline, now);
            store::refresh_tokens::insert(&mut tx, &row).await?;
            Some(Handed { token, offline, issued_at: now, expires_at: row.expires_at })
        }
        RefreshPlan::Existing { token, issued_at, expires_at } => {
            Some(Handed { token, offline: g.offline, issued_at, expires_at })
        }
    };
    tx.commit().await?;
    respond(state, &g, &realm_roles, &client_roles, refresh, now)
}

/// A refresh token handed out: its secret and its row's times.
pub struct Handed {
    pub token: String,
    pub offline: bool,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
}

/// The row of a new refresh token `token` of `g`'s family, issued at `now`.
pub fn refresh_row(g: &UserGrant<'_>, token: &str, family_scope: String, offline: bool, now: i64) -> RefreshRow {
    let lifespan = refresh_lifespan(g.realm, g.client);
    RefreshRow {
        token_hash: crate::crypto::token_hash(token),
        family_id: g.family_id.to_owned(),
        realm_id: g.realm.id.clone(),
        client_pk: g.client.row.id.clone(),
        user_id: g.user.id.clone(),
        session_id: g.session_id.to_owned(),
        scope: family_scope,
        auth_time: g.auth_time,
        offline,
        issued_at: now,
        expires_at: (lifespan > 0).then_some(now + lifespan),
        rotated_at: None,
        successor_hash: None,
        revoked_at: None,
    }
}

/// The token response of `g` once its refresh token (if any) is stored and committed: signs
/// the access token and, when `openid` was granted, the ID token (the costliest step, never
/// inside a transaction), and counts the grant.
pub fn respond(
    state: &AppState,
    g: &UserGrant<'_>,
    realm_roles: &[String],
    client_roles: &BTreeMap<String, Vec<String>>,
    refresh: Option<Handed>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let with_id_token = g.scopes.iter().any(|s| s == "openid");
    let (access, id_token) = sign(g, realm_roles, client_roles, with_id_token, now)?;
    state.stats.count(&g.client.pk, &g.realm.id, g.client.client_id(), g.grant);
    let (refresh_token, refresh_expires_in) = match refresh {
        None => (None, None),
        Some(h) => {
            let expires_in = h.expires_at.map_or(0, |e| (e - now).max(1));
            (Some(present(g, h.offline, h.issued_at, h.expires_at, &h.token)), Some(expires_in))
        }
    };
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        refresh_token,
        refresh_expires_in,
        id_token,
        scope: g.scopes.join(" "),
        not_before_policy: not_before_policy(g.realm, g.client),
        session_state: Some(g.session_id.to_owned()),
    })
}

/// Runs `sign` (a token response's signing, [`respond`]) on [`crate::crypto::fifo`]'s threads,
/// after the signing asked for before it.
pub async fn signed_in_order(
    sign: impl FnOnce() -> Result<TokenResponse, OAuthError> + Send + 'static,
) -> Result<TokenResponse, OAuthError> {
    crate::crypto::fifo::run(sign).await.unwrap_or_else(|| Err(OAuthError::internal("signing thread failed")))
}

/// The refresh token handed to the client for `secret` (see [`refresh_envelope`]).
fn present(g: &UserGrant<'_>, offline: bool, issued_at: i64, expires_at: Option<i64>, secret: &str) -> String {
    let claims = refresh_envelope::Claims {
        iss: &g.realm.issuer,
        aud: &g.realm.issuer,
        sub: &g.user.id,
        typ: if offline { "Offline" } else { "Refresh" },
        azp: g.client.client_id(),
        sid: (!offline).then_some(g.session_id),
        iat: issued_at,
        exp: expires_at,
    };
    refresh_envelope::wrap(&claims, secret)
}

/// Signs the access token of a user grant and, when asked, its ID token (the token set's CPU
/// work, kept out of any transaction).
pub fn sign(
    g: &UserGrant<'_>,
    realm_roles: &[String],
    client_roles: &BTreeMap<String, Vec<String>>,
    with_id_token: bool,
    now: i64,
) -> Result<(access_token::Issued, Option<String>), OAuthError> {
    g.check_realm()?;
    let subject = Subject::User(UserSubject {
        id: &g.user.id,
        username: &g.user.username,
        email: g.user.email.as_deref(),
        email_verified: g.user.email_verified,
        realm_roles,
        client_roles,
        session_id: (!g.offline).then_some(g.session_id),
        auth_time: g.auth_time,
        family_id: g.family_id,
    });
    let access = access_token::issue(g.realm, g.client, subject, g.scopes.join(" "), now)?;
    let id_token = if with_id_token {
        let req = IdTokenRequest {
            user: g.user,
            session_id: g.session_id,
            auth_time: g.auth_time,
            nonce: g.nonce,
            scopes: g.scopes,
            access_token: &access.token,
            now,
        };
        Some(id_token::issue(g.realm, g.client, req)?)
    } else {
        None
    };
    Ok((access, id_token))
}

/// The successor of a refresh token: derived from it with a key only the servers hold, so a
/// racing request with the same token inside the reuse window gets the very same successor
/// without the server ever storing a token in the clear.
pub fn successor_of(state: &AppState, token: &str) -> String {
    let key = state.manager.master.derive("refresh-token-successor");
    crate::crypto::b64(&crate::crypto::hmac_sha256(&key, &[token.as_bytes()]))
}

/// The realm roles and client roles (by owning client id) of a user that `client`'s tokens
/// carry (see [`Client::roles_in_scope`]).
pub async fn user_roles(
    c: &mut impl store::Reads,
    client: &Client,
    user_id: &str,
) -> Result<(Vec<String>, BTreeMap<String, Vec<String>>), sqlx::Error> {
    Ok(roles_in_scope(client, store::roles::of_user(c, user_id).await?))
}

/// Of a user's roles, those in `client`'s scope: realm roles, and client roles by client id.
pub fn roles_in_scope(
    client: &Client,
    roles: Vec<store::roles::GrantedRole>,
) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let (realm_roles, client_roles) = store::roles::split(roles);
    client.roles_in_scope(realm_roles, client_roles)
}
