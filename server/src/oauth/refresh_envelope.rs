//! A refresh token as a client sees it: `{header}.{claims}.{secret}`, the shape of a JWT.
//!
//! Keycloak's refresh tokens are JWTs, and keycloak-js decodes the payload of every refresh
//! token it receives (`refreshTokenParsed`); an opaque token makes its sign-in fail. So the
//! secret Portcullis issues (256 random bits, or the successor derived from the previous token,
//! stored only as a digest) travels behind Keycloak's claims in a JWT's shape. The claims are a
//! courtesy copy for the client, not signed (`alg: none`) and never read by the server: the token
//! *is* the last segment, which alone is looked up. A bare secret, as issued before this shape,
//! is still accepted.

use crate::crypto::b64;
use serde::Serialize;

/// `{"alg":"none","typ":"JWT"}`: not a signature scheme anyone should accept, which is the point.
const HEADER: &str = r#"{"alg":"none","typ":"JWT"}"#;

/// Keycloak's refresh-token claims, as far as Portcullis has them.
#[derive(Debug, Serialize)]
pub struct Claims<'a> {
    pub iss: &'a str,
    /// Keycloak's refresh tokens name the issuer as their audience.
    pub aud: &'a str,
    pub sub: &'a str,
    /// `Refresh`, or `Offline` for a family that outlives its SSO session.
    pub typ: &'static str,
    pub azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<&'a str>,
    pub iat: i64,
    /// Absent when the token never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// The token handed to the client for `secret`.
pub fn wrap(claims: &Claims<'_>, secret: &str) -> String {
    // Serialising plain strings and integers cannot fail; an empty object would still be a
    // well-formed token.
    let payload = serde_json::to_vec(claims).unwrap_or_else(|_| b"{}".to_vec());
    format!("{}.{}.{secret}", b64(HEADER.as_bytes()), b64(&payload))
}

/// The secret inside a presented token: its last segment (the whole token when it has none).
pub fn secret(presented: &str) -> &str {
    presented.rsplit('.').next().unwrap_or(presented)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims<'static> {
        Claims {
            iss: "http://x/realms/a",
            aud: "http://x/realms/a",
            sub: "u1",
            typ: "Refresh",
            azp: "spa",
            sid: Some("s1"),
            iat: 10,
            exp: Some(20),
        }
    }

    #[test]
    fn the_secret_is_the_last_segment_and_the_claims_decode() {
        let token = wrap(&claims(), "c2VjcmV0");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(secret(&token), "c2VjcmV0");
        let payload: serde_json::Value =
            serde_json::from_slice(&crate::crypto::b64_decode(parts[1]).unwrap_or_default()).unwrap_or_default();
        assert_eq!(payload["typ"], "Refresh");
        assert_eq!(payload["exp"], 20);
        assert_eq!(payload["sid"], "s1");
    }

    #[test]
    fn a_bare_secret_is_its_own_secret() {
        assert_eq!(secret("c2VjcmV0"), "c2VjcmV0");
    }

    #[test]
    fn the_same_claims_give_the_same_token() {
        assert_eq!(wrap(&claims(), "abc"), wrap(&claims(), "abc"));
    }
}
