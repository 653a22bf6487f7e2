//! An upstream provider's ID token, checked as OIDC Core §3.1.3.7 asks: signed by a key of the
//! provider's JWKS with that key's algorithm (never `none` or an HMAC one), `iss` the provider's
//! issuer, `aud` naming our client id, the `nonce` we sent, not expired and not issued in the
//! future (against the injected clock). The JWKS is cached per provider for [`JWKS_TTL`] and
//! fetched again when a token names a key it does not hold (the provider rotated).

use super::{get_json, UpstreamError};
use jsonwebtoken::{
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm},
    Algorithm, DecodingKey, Validation,
};
use serde_json::{Map, Value};
use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

/// How long a fetched JWKS is used before it is fetched again.
pub const JWKS_TTL: i64 = 300;
/// The least time between two fetches of one provider's JWKS for an unknown key id, so forged
/// key ids cannot make us hammer the provider.
const REFETCH_GAP: i64 = 10;
/// Clock skew allowed for `exp` and `iat`.
const LEEWAY: i64 = 60;

/// What the token must say.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
}

/// Why an ID token is refused (shown to administrators in the log, to users as one message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Its `kid` is in no key of the set (perhaps the provider rotated: fetch again).
    #[error("the ID token names a key the provider does not publish")]
    UnknownKey,
    #[error("the ID token is invalid: {0}")]
    Invalid(&'static str),
}

/// The asymmetric algorithm a JWK is for: its `alg`, else what its key type implies.
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let from_alg = |a: KeyAlgorithm| match a {
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        KeyAlgorithm::PS384 => Some(Algorithm::PS384),
        KeyAlgorithm::PS512 => Some(Algorithm::PS512),
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        _ => None,
    };
    match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::OctetKey(_), _) => None,
        (_, Some(a)) => from_alg(a),
        (AlgorithmParameters::RSA(_), None) => Some(Algorithm::RS256),
        (AlgorithmParameters::EllipticCurve(p), None) => match p.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        (AlgorithmParameters::OctetKeyPair(p), None) => (p.curve == EllipticCurve::Ed25519).then_some(Algorithm::EdDSA),
    }
}

/// The keys of a JWKS document that can verify signatures (others are skipped, not fatal).
pub fn parse_jwks(doc: &Value) -> Vec<Jwk> {
    let keys = doc.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
    keys.into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| k.common.public_key_use.as_ref().is_none_or(|u| *u == jsonwebtoken::jwk::PublicKeyUse::Signature))
        .filter(|k| key_algorithm(k).is_some())
        .collect()
}

/// Checks `token` against `keys` and `expected`; its claims when it passes.
pub fn validate(keys: &[Jwk], token: &str, expected: &Expected<'_>) -> Result<Map<String, Value>, IdTokenError> {
    use IdTokenError::Invalid;
    if token.len() > 16 * 1024 {
        return Err(Invalid("too long"));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Invalid("malformed (or alg none)"))?;
    let key = match &header.kid {
        Some(kid) => keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid)).ok_or(IdTokenError::UnknownKey)?,
        // Without a kid, only a set of one key says which key is meant.
        None if keys.len() == 1 => &keys[0],
        None => return Err(IdTokenError::UnknownKey),
    };
    let alg = key_algorithm(key).ok_or(Invalid("the key cannot verify signatures"))?;
    if header.alg != alg {
        return Err(Invalid("its algorithm is not its key's"));
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|_| Invalid("the provider's key is malformed"))?;
    let mut validation = Validation::new(alg);
    // Time, audience and issuer are checked below, against the injected clock.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &decoding, &validation)
        .map_err(|_| Invalid("bad signature"))?
        .claims;
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(Invalid("wrong issuer"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expected.client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(expected.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(Invalid("not issued to us (aud)"));
    }
    // §3.1.3.7 (5): with several audiences, `azp` (when present) names us.
    if claims.get("azp").and_then(Value::as_str).is_some_and(|azp| azp != expected.client_id) {
        return Err(Invalid("issued to another party (azp)"));
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if !crate::crypto::ct_eq(nonce.as_bytes(), expected.nonce.as_bytes()) {
        return Err(Invalid("wrong nonce"));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or(Invalid("no exp"))?;
    if expected.now >= exp + LEEWAY {
        return Err(Invalid("expired"));
    }
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > expected.now + LEEWAY) {
        return Err(Invalid("issued in the future"));
    }
    if !claims.get("sub").and_then(Value::as_str).is_some_and(|s| !s.is_empty() && s.len() <= 255) {
        return Err(Invalid("no sub"));
    }
    Ok(claims)
}

/// A provider's cached JWKS: when fetched, from where, the keys.
struct Cached {
    fetched_at: i64,
    url: String,
    keys: Arc<Vec<Jwk>>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(Default::default);

fn cached(provider_id: &str, url: &str) -> Option<(i64, Arc<Vec<Jwk>>)> {
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache.get(provider_id).filter(|c| c.url == url).map(|c| (c.fetched_at, c.keys.clone()))
}

async fn fetch(http: &reqwest::Client, provider_id: &str, url: &str, now: i64) -> Result<Arc<Vec<Jwk>>, UpstreamError> {
    let doc: Value = get_json(http, url).await?;
    let keys = Arc::new(parse_jwks(&doc));
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    // Bounded: a provider id is a row id, and rows are few; drop stale ones when it grows.
    if cache.len() > 1000 {
        cache.retain(|_, c| now - c.fetched_at < JWKS_TTL);
    }
    cache.insert(provider_id.to_owned(), Cached { fetched_at: now, url: url.to_owned(), keys: keys.clone() });
    Ok(keys)
}

/// Why an ID token could not be checked: the provider's keys could not be read, or the token.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Token(#[from] IdTokenError),
}

/// Checks `token` with provider `provider_id`'s JWKS at `jwks_url` (cached; fetched again once
/// when the token names an unknown key).
pub async fn check(
    http: &reqwest::Client,
    provider_id: &str,
    jwks_url: &str,
    token: &str,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, CheckError> {
    let now = expected.now;
    let (fetched_at, keys) = match cached(provider_id, jwks_url).filter(|(at, _)| now - at < JWKS_TTL) {
        Some(c) => c,
        None => (now, fetch(http, provider_id, jwks_url, now).await?),
    };
    match validate(&keys, token, expected) {
        Err(IdTokenError::UnknownKey) if now - fetched_at >= REFETCH_GAP => {
            let keys = fetch(http, provider_id, jwks_url, now).await?;
            Ok(validate(&keys, token, expected)?)
        }
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::b64;
    use serde_json::json;

    /// A realm-style signing key and its public JWK.
    fn key(kid: &str) -> (crate::crypto::jws::GeneratedKey, Jwk) {
        let mut k = crate::crypto::jws::generate(crate::crypto::jws::SigningAlg::ES256).unwrap();
        k.kid = kid.to_owned();
        k.public_jwk["kid"] = json!(kid);
        let jwk: Jwk = serde_json::from_value(k.public_jwk.clone()).unwrap();
        (k, jwk)
    }

    fn sign(k: &crate::crypto::jws::GeneratedKey, claims: &Value) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(k.kid.clone());
        let enc = jsonwebtoken::EncodingKey::from_ec_der(&k.pkcs8);
        jsonwebtoken::encode(&header, claims, &enc).unwrap()
    }

    fn claims() -> Value {
        json!({"iss": "https://up.example.com/realms/default", "aud": "down", "sub": "u1",
               "nonce": "n-123", "exp": 2_000, "iat": 1_000})
    }

    fn expected() -> Expected<'static> {
        Expected { issuer: "https://up.example.com/realms/default", client_id: "down", nonce: "n-123", now: 1_500 }
    }

    #[test]
    fn a_good_token_passes_and_each_wrong_claim_is_refused() {
        let (k, jwk) = key("k1");
        let keys = vec![jwk];
        assert_eq!(validate(&keys, &sign(&k, &claims()), &expected()).unwrap()["sub"], "u1");
        for (field, value, why) in [
            ("iss", json!("https://evil.example.com"), "wrong issuer"),
            ("aud", json!(["other"]), "not issued to us (aud)"),
            ("nonce", json!("n-124"), "wrong nonce"),
            ("exp", json!(1_400), "expired"),
            ("iat", json!(1_600 + LEEWAY), "issued in the future"),
        ] {
            let mut c = claims();
            c[field] = value;
            assert_eq!(validate(&keys, &sign(&k, &c), &expected()), Err(IdTokenError::Invalid(why)), "{field}");
        }
        let mut c = claims();
        c.as_object_mut().unwrap().remove("nonce");
        assert_eq!(validate(&keys, &sign(&k, &c), &expected()), Err(IdTokenError::Invalid("wrong nonce")));
    }

    #[test]
    fn forged_signatures_none_and_hmac_are_refused() {
        let (k, jwk) = key("k1");
        let (other, _) = key("k1");
        let keys = vec![jwk.clone()];
        // Signed by another key under the same kid.
        let forged = sign(&other, &claims());
        assert_eq!(validate(&keys, &forged, &expected()), Err(IdTokenError::Invalid("bad signature")));
        // The payload changed after signing.
        let good = sign(&k, &claims());
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = claims();
        c["sub"] = json!("admin");
        let tampered = format!("{}.{}.{}", parts[0], b64(c.to_string().as_bytes()), parts[2]);
        assert_eq!(validate(&keys, &tampered, &expected()), Err(IdTokenError::Invalid("bad signature")));
        // alg none.
        let none = format!("{}.{}.", b64(br#"{"alg":"none","kid":"k1"}"#), parts[1]);
        assert!(validate(&keys, &none, &expected()).is_err());
        // HS256 with the public key as the secret (the classic confusion).
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let hs = jsonwebtoken::encode(&header, &claims(), &jsonwebtoken::EncodingKey::from_secret(b"x")).unwrap();
        assert_eq!(validate(&keys, &hs, &expected()), Err(IdTokenError::Invalid("its algorithm is not its key's")));
        // An unknown kid asks for the keys again; a symmetric key in the set is never used.
        let (stranger, _) = key("k2");
        assert_eq!(validate(&keys, &sign(&stranger, &claims()), &expected()), Err(IdTokenError::UnknownKey));
        let oct = parse_jwks(&json!({"keys": [{"kty": "oct", "kid": "k1", "k": "eA"}, jwk]}));
        assert_eq!(oct.len(), 1);
    }
}
