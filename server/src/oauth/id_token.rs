//! ID tokens (OIDC Core §2): RS256 by default, per client ES256 or EdDSA, with `auth_time`,
//! `nonce`, `at_hash` (§3.1.3.6), `azp`, `sid` and the profile and email claims the scopes allow.

use super::error::OAuthError;
use crate::{
    crypto::{b64, jws::SigningAlg},
    registry::{Client, Realm},
    store::users::UserRow,
};
use aws_lc_rs::digest;
use serde::Serialize;

/// The claims of an ID token.
#[derive(Debug, Serialize)]
pub struct IdClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    pub at_hash: String,
    pub azp: &'a str,
    pub sid: &'a str,
    /// Profile and email claims, as the scopes allow ([`user_claims`]).
    #[serde(flatten)]
    pub profile: serde_json::Map<String, serde_json::Value>,
}

/// The algorithm `client`'s ID tokens are signed with.
pub fn alg_for(realm: &Realm, client: &Client) -> SigningAlg {
    client.row.id_token_alg.as_deref().unwrap_or(&realm.settings.id_token_alg).parse().unwrap_or(SigningAlg::RS256)
}

/// `at_hash`: the left half of the hash of the access token, with the hash of the ID token's
/// algorithm (SHA-256 for ES256 and RS256, SHA-512 for Ed25519).
pub fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    let algorithm = match alg {
        SigningAlg::EdDSA => &digest::SHA512,
        SigningAlg::ES256 | SigningAlg::RS256 => &digest::SHA256,
    };
    let d = digest::digest(algorithm, access_token.as_bytes());
    let bytes = d.as_ref();
    b64(&bytes[..bytes.len() / 2])
}

/// What an ID token is about.
pub struct IdTokenRequest<'a> {
    pub user: &'a UserRow,
    pub session_id: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub scopes: &'a [String],
    pub access_token: &'a str,
    pub now: i64,
}

/// The user's profile and email claims a set of scopes releases (also used by userinfo).
pub fn user_claims(user: &UserRow, scopes: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let mut m = serde_json::Map::new();
    if has("profile") {
        m.insert("preferred_username".into(), user.username.clone().into());
        let name = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
        if !name.is_empty() {
            m.insert("name".into(), name.into());
        }
        if !user.first_name.is_empty() {
            m.insert("given_name".into(), user.first_name.clone().into());
        }
        if !user.last_name.is_empty() {
            m.insert("family_name".into(), user.last_name.clone().into());
        }
    }
    if has("email") {
        if let Some(email) = &user.email {
            m.insert("email".into(), email.clone().into());
            m.insert("email_verified".into(), user.email_verified.into());
        }
    }
    m
}

/// Signs an ID token.
pub fn issue(realm: &Realm, client: &Client, req: IdTokenRequest<'_>) -> Result<String, OAuthError> {
    let alg = alg_for(realm, client);
    let claims = IdClaims {
        iss: &realm.issuer,
        sub: &req.user.id,
        aud: client.client_id(),
        exp: req.now + realm.settings.id_token_lifespan,
        iat: req.now,
        auth_time: req.auth_time,
        nonce: req.nonce,
        at_hash: at_hash(alg, req.access_token),
        azp: client.client_id(),
        sid: req.session_id,
        profile: user_claims(req.user, req.scopes),
    };
    let signer = realm
        .keys
        .signer(alg, req.now)
        .ok_or_else(|| OAuthError::internal(format!("realm {} has no active {alg} key", realm.name)))?;
    signer.sign("JWT", &claims).map_err(OAuthError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_follows_oidc_core_example() {
        // OIDC Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" → "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(at_hash(SigningAlg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(at_hash(SigningAlg::EdDSA, "x").len(), 43);
    }
}
