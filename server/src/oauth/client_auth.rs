//! Client authentication (RFC 6749 §2.3), done once before any grant or endpoint logic:
//! `client_secret_basic`, `client_secret_post`, or `none` for public clients.
//!
//! Secrets are argon2id hashes at rest; a verified secret is remembered in the registry's
//! credential cache so the hot path is one HMAC and one map lookup (see
//! `registry::credentials`). Failed attempts are counted per (client address, client); past
//! the limit only already-verified credentials are accepted from that address (see
//! [`authenticate`]). Every failure gets the same answer.

use super::{error::OAuthError, form::Params};
use crate::{
    crypto::password,
    registry::{Client, Realm},
    state::AppState,
    store::{self, audit::NewAudit},
};
use axum::http::{header, HeaderMap, HeaderValue};
use base64::{engine::general_purpose::STANDARD, Engine};
use std::{net::IpAddr, sync::Arc};

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    /// The RFC 8414 / OIDC registration name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// Every method this server accepts, for discovery.
pub const SUPPORTED_METHODS: [AuthMethod; 3] =
    [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost, AuthMethod::None];

/// A client that has proven who it is (or, for a public client, named itself).
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Arc<Client>,
    pub method: AuthMethod,
}

/// The credentials a request carries, before verification.
struct Presented {
    client_id: String,
    secret: Option<String>,
    method: AuthMethod,
}

const FAILED: &str = "client authentication failed";

fn decode_component(s: &str) -> Result<String, OAuthError> {
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
    let plus_decoded = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_decoded)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| OAuthError::invalid_client("malformed Basic credentials"))
}

/// The `(client_id, secret)` of an `Authorization: Basic` header (RFC 6749 §2.3.1, RFC 7617).
pub fn basic_credentials(value: &HeaderValue) -> Result<(String, String), OAuthError> {
    let value = value.to_str().map_err(|_| OAuthError::invalid_client("malformed Authorization header"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client("unsupported authentication scheme; use Basic"));
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    let (id, secret) =
        decoded.split_once(':').ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    Ok((decode_component(id)?, decode_component(secret)?))
}

fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let basic = headers.get(header::AUTHORIZATION).map(basic_credentials).transpose()?;
    match basic {
        Some((id, secret)) => {
            if params.get("client_secret").is_some() {
                return Err(OAuthError::invalid_request("use one client authentication method, not several"));
            }
            if params.get("client_id").is_some_and(|p| p != id) {
                return Err(OAuthError::invalid_request("client_id does not match the Basic credentials"));
            }
            if id.is_empty() {
                return Err(OAuthError::invalid_client(FAILED));
            }
            Ok(Presented { client_id: id, secret: Some(secret), method: AuthMethod::ClientSecretBasic })
        }
        None => {
            let id =
                params.get("client_id").ok_or_else(|| OAuthError::invalid_client("client authentication required"))?;
            let secret = params.get("client_secret").map(str::to_owned);
            let method = if secret.is_some() { AuthMethod::ClientSecretPost } else { AuthMethod::None };
            Ok(Presented { client_id: id.to_owned(), secret, method })
        }
    }
}

/// How long a request waits for a secret verification (its own, or the one already running
/// for the same credential) before giving up; the verification itself runs on.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Authenticates the client of a request to `realm` coming from `ip`.
///
/// Failures are counted per (address, client). Past the limit, that address may still use a
/// credential that is already verified (the in-memory cache), but nothing that would need
/// argon2: guessing stops, and no client is ever refused its valid secret because of what
/// someone else did from its address.
pub async fn authenticate(
    state: &AppState,
    realm: &Realm,
    headers: &HeaderMap,
    params: &Params,
    ip: IpAddr,
) -> Result<AuthenticatedClient, OAuthError> {
    let now = state.now();
    let presented = presented(headers, params)?;
    tracing::Span::current().record("client_id", presented.client_id.as_str());
    let locked = state.limits.check_failures(ip, &presented.client_id, now).err();
    let result = verify(state, realm, &presented, now, locked).await;
    if let Err(e) = &result {
        if e.code == super::error::ErrorCode::InvalidClient {
            state.limits.record_failure(ip, &presented.client_id, now);
            state.metrics.auth_failure("client.auth_failed");
            let (db, realm_id, client_id) = (state.db.clone(), realm.id.clone(), presented.client_id.clone());
            let ip = ip.to_string();
            tokio::spawn(async move {
                let Ok(mut conn) = db.conn().await else {
                    return;
                };
                let ev = NewAudit {
                    realm_id: Some(&realm_id),
                    kind: "client.auth_failed",
                    actor: &client_id,
                    client_id: Some(&client_id),
                    ip: Some(&ip),
                    ..Default::default()
                };
                if let Err(e) = store::audit::insert(&mut conn, &ev, now).await {
                    tracing::warn!(error = %e, "cannot record audit event");
                }
            });
        }
    }
    result
}

/// Verifies the presented credentials. `locked`: the address is past its failure limit for
/// this client, so only an already verified credential is accepted.
async fn verify(
    state: &AppState,
    realm: &Realm,
    p: &Presented,
    now: i64,
    locked: Option<u64>,
) -> Result<AuthenticatedClient, OAuthError> {
    // One answer for every failure (unknown, disabled, public with a secret, confidential
    // without one, wrong secret): the response says nothing about which clients exist.
    let failed = || OAuthError::invalid_client(FAILED);
    let client = state.registry.client(realm, &p.client_id).await?.filter(|c| c.row.enabled);
    let refuse_locked = |seconds: u64| Err(OAuthError::rate_limited(seconds));
    let Some(client) = client else {
        return match locked {
            Some(s) => refuse_locked(s),
            None => Err(failed()),
        };
    };
    let method = p.method;
    match (&p.secret, client.row.confidential) {
        (None, false) => Ok(AuthenticatedClient { client, method }),
        (Some(secret), true) => {
            let cache = &state.registry.credentials;
            let fingerprint = cache.fingerprint(&realm.id, &p.client_id, secret);
            if cache.is_verified(&fingerprint, now, |id| client.live_secrets(now).any(|s| s.id == id)) {
                return Ok(AuthenticatedClient { client, method });
            }
            if let Some(s) = locked {
                return refuse_locked(s);
            }
            if password::saturated() {
                return Err(OAuthError::temporarily_unavailable("client authentication is busy; retry shortly"));
            }
            // The verification runs as a task of its own: the single-flight turn, the hashing
            // permit and the cache entry belong to it, not to this request, which may hang up.
            let task = tokio::spawn(verify_secret(state.clone(), client.clone(), fingerprint, secret.clone(), now));
            match tokio::time::timeout(VERIFY_WAIT, task).await {
                Ok(Ok(true)) => Ok(AuthenticatedClient { client, method }),
                Ok(Ok(false)) => Err(failed()),
                Ok(Err(e)) => Err(OAuthError::internal(e)),
                Err(_) => Err(OAuthError::temporarily_unavailable("client authentication is busy; retry shortly")),
            }
        }
        _ => match locked {
            Some(s) => refuse_locked(s),
            None => Err(failed()),
        },
    }
}

/// Checks `secret` against the client's live secrets (see [`CredentialCache::verify`]).
async fn verify_secret(state: AppState, client: Arc<Client>, fingerprint: [u8; 32], secret: String, now: i64) -> bool {
    let candidates = client.live_secrets(now).map(|s| (s.id.clone(), s.hash.clone())).collect();
    state.registry.credentials.verify(fingerprint, now, secret, candidates).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()).unwrap()
    }

    fn basic(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn basic_credentials_are_form_urldecoded() {
        // "a b:c%3Ad" → id "a b", secret "c:d"
        let h = basic(&format!("Basic {}", STANDARD.encode("a+b:c%3Ad")));
        let p = presented(&h, &params(&[])).ok().unwrap();
        assert_eq!(p.client_id, "a b");
        assert_eq!(p.secret.as_deref(), Some("c:d"));
        assert_eq!(p.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let h = basic(&format!("Basic {}", STANDARD.encode("a:b")));
        let e = presented(&h, &params(&[("client_secret", "b")])).err().unwrap();
        assert_eq!(e.code.as_str(), "invalid_request");
    }

    #[test]
    fn malformed_headers_are_invalid_client() {
        for v in ["Basic !!!", "Bearer xyz", &format!("Basic {}", STANDARD.encode("nocolon"))] {
            let e = presented(&basic(v), &params(&[])).err().unwrap();
            assert_eq!(e.code.as_str(), "invalid_client", "{v}");
        }
        let e = presented(&HeaderMap::new(), &params(&[])).err().unwrap();
        assert_eq!(e.code.as_str(), "invalid_client");
    }
}
