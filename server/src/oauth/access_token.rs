//! JWT access tokens (RFC 9068): issued with the realm's access-token key, `typ: at+jwt`, and
//! Keycloak's claims (`realm_access.roles`, `resource_access.{client}.roles`, `sid`); verified for
//! introspection, userinfo and revocation against signature, issuer, expiry, revocation (of the
//! token, its refresh family or its SSO session), not-before, and the continued existence of its
//! client and user.

use super::error::OAuthError;
use crate::{
    crypto::random_token,
    registry::{Client, KeySet, Realm},
    state::AppState,
    store::{self, revocations, users::UserRow},
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, sync::Arc};

/// Keycloak's `{ "roles": [...] }` object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleList {
    pub roles: Vec<String>,
}

/// `aud`: one audience or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    /// For tokens of a refresh family, `{family}.{random}`: revoking the family revokes them.
    pub jti: String,
    /// Keycloak's token type claim (`Bearer`).
    #[serde(default)]
    pub typ: String,
    pub azp: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm_access: Option<RoleList>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_access: BTreeMap<String, RoleList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The internal id of the client row the token was issued to, so a token of a deleted
    /// client never comes back when a client with the same `client_id` is created again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpk: Option<String>,
    /// Keycloak's claim naming the client of a service-account token.
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id_legacy: Option<String>,
    /// The project a `project-{id}` token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

impl AccessClaims {
    /// Whether the token is about the client's own service account.
    pub fn is_service_account(&self) -> bool {
        self.client_id_legacy.is_some()
    }

    /// The refresh family the token belongs to, if any.
    pub fn family(&self) -> Option<&str> {
        self.jti.split_once('.').map(|(f, _)| f)
    }

    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// A realm user as tokens describe them.
pub struct UserSubject<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub realm_roles: &'a [String],
    pub client_roles: &'a BTreeMap<String, Vec<String>>,
    /// The SSO session, named in `sid`; `None` for offline families, which outlive it.
    pub session_id: Option<&'a str>,
    pub auth_time: i64,
    /// The refresh family this token is issued in.
    pub family_id: &'a str,
}

/// Who a token is about.
pub enum Subject<'a> {
    /// The client's own service account (`client_credentials`).
    ServiceAccount,
    /// A realm user.
    User(UserSubject<'a>),
}

/// An issued access token.
pub struct Issued {
    pub token: String,
    pub claims: AccessClaims,
    pub expires_in: i64,
}

/// The `preferred_username` Keycloak gives a client's service account.
pub fn service_account_username(client_id: &str) -> String {
    format!("service-account-{client_id}")
}

/// Signs an access token for `client` about `subject` with `scope`.
pub fn issue(
    realm: &Realm,
    client: &Client,
    subject: Subject<'_>,
    scope: String,
    now: i64,
) -> Result<Issued, OAuthError> {
    let lifespan = client.row.access_token_lifespan.unwrap_or(realm.settings.access_token_lifespan);
    let scopes: Vec<&str> = scope.split(' ').collect();
    let mut claims = AccessClaims {
        iss: realm.issuer.clone(),
        sub: String::new(),
        aud: Audience::One(client.client_id().to_owned()),
        exp: now + lifespan,
        iat: now,
        jti: random_token::<16>(),
        typ: "Bearer".into(),
        azp: client.client_id().to_owned(),
        client_id: client.client_id().to_owned(),
        sid: None,
        auth_time: None,
        scope: scope.clone(),
        realm_access: None,
        resource_access: BTreeMap::new(),
        preferred_username: None,
        email: None,
        email_verified: None,
        cpk: Some(client.row.id.clone()),
        client_id_legacy: None,
        project: scopes
            .iter()
            .find_map(|s| s.strip_prefix(crate::oauth::grant::PROJECT_SCOPE_PREFIX))
            .map(str::to_owned),
    };
    let (realm_roles, client_roles) = match subject {
        Subject::ServiceAccount => {
            claims.sub = client.row.id.clone();
            claims.preferred_username = Some(service_account_username(client.client_id()));
            claims.client_id_legacy = Some(client.client_id().to_owned());
            (&client.realm_roles[..], &client.client_roles)
        }
        Subject::User(user) => {
            claims.sub = user.id.to_owned();
            claims.jti = format!("{}.{}", user.family_id, claims.jti);
            claims.sid = user.session_id.map(str::to_owned);
            claims.auth_time = Some(user.auth_time);
            if scopes.contains(&"profile") || scopes.contains(&"openid") {
                claims.preferred_username = Some(user.username.to_owned());
            }
            if scopes.contains(&"email") {
                claims.email = user.email.map(str::to_owned);
                claims.email_verified = Some(user.email_verified);
            }
            (user.realm_roles, user.client_roles)
        }
    };
    claims.realm_access = (!realm_roles.is_empty()).then(|| RoleList { roles: realm_roles.to_vec() });
    claims.resource_access = client_roles.iter().map(|(c, r)| (c.clone(), RoleList { roles: r.clone() })).collect();
    // The audience is the resource servers whose roles the token carries; with none, the
    // client itself (RFC 9068 §3 requires an `aud`).
    claims.aud = match claims.resource_access.len() {
        0 => Audience::One(client.client_id().to_owned()),
        1 => Audience::One(claims.resource_access.keys().next().cloned().unwrap_or_default()),
        _ => Audience::Many(claims.resource_access.keys().cloned().collect()),
    };
    let alg = realm.access_token_alg();
    let signer = realm
        .keys
        .signer(alg, now)
        .ok_or_else(|| OAuthError::internal(format!("realm {} has no active {alg} key", realm.name)))?;
    let token = signer.sign("at+jwt", &claims).map_err(OAuthError::internal)?;
    Ok(Issued { token, claims, expires_in: lifespan })
}

/// Why a presented access token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Past its `exp`.
    Expired,
    /// Anything else: bad signature, wrong issuer, revoked, not-before, client or user gone.
    Invalid(&'static str),
    /// Its status cannot be read now: the database is unreachable ([`store::is_unavailable`]).
    /// Callers answer 503 rather than call a valid token invalid.
    Unavailable,
}

/// Longest token accepted for verification.
const MAX_TOKEN_LEN: usize = 16 * 1024;

fn unavailable(what: &'static str) -> impl Fn(sqlx::Error) -> Rejection {
    move |e| {
        if store::is_unavailable(&e) {
            tracing::warn!(error = %e, "{what}: database unavailable");
            return Rejection::Unavailable;
        }
        tracing::error!(error = %e, "{what}");
        Rejection::Invalid("token status unavailable")
    }
}

/// The claims of `token` if it is an access token (`typ`) signed by one of `keys` with that key's
/// algorithm, issued by `issuer`: everything [`verify`] checks without the clock or the database.
pub fn decode(keys: &KeySet, issuer: &str, token: &str) -> Result<AccessClaims, Rejection> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejection::Invalid("token too long"));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Invalid("malformed token"))?;
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok {
        return Err(Rejection::Invalid("not an access token"));
    }
    let kid = header.kid.as_deref().ok_or(Rejection::Invalid("unknown signing key"))?;
    let (alg, key) = keys.verifier(kid).ok_or(Rejection::Invalid("unknown signing key"))?;
    if header.alg != alg.jwt_algorithm() {
        return Err(Rejection::Invalid("algorithm does not match the key"));
    }
    let mut validation = jsonwebtoken::Validation::new(alg.jwt_algorithm());
    // Expiry is checked below against the injected clock; the audience is the resource
    // server's business.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|_| Rejection::Invalid("invalid token"))
}

/// [`decode`], without checking the signature again for the same token these keys verified
/// before (see [`KeySet::was_verified`]): the bytes are the same, so every check of [`decode`]
/// passes the same way. `now` only decides what the bounded memory forgets first.
fn decode_remembered(keys: &KeySet, issuer: &str, token: &str, now: i64) -> Result<AccessClaims, Rejection> {
    if token.len() > MAX_TOKEN_LEN {
        return decode(keys, issuer, token);
    }
    let digest = crate::crypto::sha256(token.as_bytes());
    if keys.was_verified(&digest) {
        if let Ok(data) = jsonwebtoken::dangerous::insecure_decode::<AccessClaims>(token) {
            return Ok(data.claims);
        }
    }
    let claims = decode(keys, issuer, token)?;
    keys.remember_verified(digest, claims.exp, now);
    Ok(claims)
}

/// Verifies an access token of `realm`, returning its claims and its (still enabled) client.
pub async fn verify(state: &AppState, realm: &Realm, token: &str) -> Result<(AccessClaims, Arc<Client>), Rejection> {
    verify_with_user(state, realm, token).await.map(|(claims, client, _)| (claims, client))
}

/// [`verify`], also returning the token's user as read for the check (none for a service
/// account's token).
pub async fn verify_with_user(
    state: &AppState,
    realm: &Realm,
    token: &str,
) -> Result<(AccessClaims, Arc<Client>, Option<UserRow>), Rejection> {
    let now = state.now();
    let claims = decode_remembered(&realm.keys, &realm.issuer, token, now)?;
    if now >= claims.exp {
        return Err(Rejection::Expired);
    }
    if claims.iat < realm.settings.not_before {
        return Err(Rejection::Invalid("token issued before the realm's not-before time"));
    }
    let client = state
        .registry
        .client(realm, &claims.client_id)
        .await
        .map_err(|e| match e {
            crate::registry::LoadError::Db(e) => unavailable("loading client")(e),
            e => {
                tracing::error!(error = %e, "loading client");
                Rejection::Invalid("token status unavailable")
            }
        })?
        .filter(|c| c.row.enabled)
        .ok_or(Rejection::Invalid("client disabled or deleted"))?;
    // Every token names the client row it was issued to (`cpk`; a service-account token also
    // as its subject): a token of an earlier, deleted client with the same id stays dead.
    let bound_to = claims.cpk.as_deref().or(claims.is_service_account().then_some(claims.sub.as_str()));
    if bound_to.is_none_or(|pk| pk != client.row.id) {
        return Err(Rejection::Invalid("client disabled or deleted"));
    }
    if claims.iat < client.row.not_before {
        return Err(Rejection::Invalid("token issued before the client's not-before time"));
    }
    let mut conn = state.db.read().await.map_err(unavailable("connecting"))?;
    let family = claims.family().map(revocations::family_marker).unwrap_or_default();
    let session = claims.sid.as_deref().map(revocations::session_marker).unwrap_or_default();
    let keys = [claims.jti.as_str(), &family, &session];
    let user = if claims.is_service_account() {
        None
    } else {
        // The common case in one query; a refusal reads again to say why.
        revocations::user_unless_revoked(&mut conn, &claims.sub, keys).await.map_err(unavailable("loading user"))?
    };
    if (claims.is_service_account() || user.is_none())
        && revocations::any_revoked(&mut conn, keys).await.map_err(unavailable("revocations"))?
    {
        return Err(Rejection::Invalid("token revoked"));
    }
    if !claims.is_service_account() && !user.as_ref().is_some_and(|u| u.enabled && u.realm_id == realm.id) {
        return Err(Rejection::Invalid("user disabled or deleted"));
    }
    Ok((claims, client, user))
}
