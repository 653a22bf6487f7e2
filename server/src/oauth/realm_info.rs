//! `GET {realm}` (`/realms/{realm}`): Keycloak's realm information document, which older
//! adapters and `python-keycloak`'s `public_key()` read: the realm's name, its RS256 public key
//! (base64 DER SubjectPublicKeyInfo, as Keycloak gives it), its token and account service
//! addresses, and its not-before time.

use super::{error::OAuthError, load_realm};
use crate::state::AppState;
use axum::{
    extract::{Path, State},
    Json,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use serde_json::{json, Value};

/// A DER length.
fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=127 => vec![len as u8],
        _ => {
            let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            std::iter::once(0x80 | bytes.len() as u8).chain(bytes).collect()
        }
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    [vec![tag], der_len(content.len()), content.to_vec()].concat()
}

/// A positive DER INTEGER from big-endian bytes.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let content = match trimmed.first() {
        Some(b) if b & 0x80 != 0 => [vec![0], trimmed].concat(),
        Some(_) => trimmed,
        None => vec![0],
    };
    der(0x02, &content)
}

/// The SubjectPublicKeyInfo (DER) of the RSA key with modulus `n` and exponent `e`.
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    // rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters.
    const ALGORITHM: &[u8] =
        &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let key = der(0x30, &[der_uint(n), der_uint(e)].concat());
    let bit_string = der(0x03, &[vec![0], key].concat());
    der(0x30, &[ALGORITHM.to_vec(), bit_string].concat())
}

/// `GET {realm}`.
pub async fn realm_info(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Value>, OAuthError> {
    let realm = load_realm(&state, &name).await?;
    let jwks: Value = serde_json::from_str(realm.keys.jwks()).unwrap_or_default();
    // The RSA key that signs now (after a rotation, older RSA keys are still published).
    let signing = realm.keys.signer(crate::crypto::jws::SigningAlg::RS256, state.now()).map(|s| s.kid().to_owned());
    let public_key = jwks["keys"].as_array().and_then(|keys| {
        let rsa = keys
            .iter()
            .find(|k| k["kty"] == "RSA" && signing.as_deref().is_none_or(|kid| k["kid"] == kid))
            .or_else(|| keys.iter().find(|k| k["kty"] == "RSA"))?;
        let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str()?).ok()?;
        let e = URL_SAFE_NO_PAD.decode(rsa["e"].as_str()?).ok()?;
        Some(STANDARD.encode(rsa_spki(&n, &e)))
    });
    Ok(Json(json!({
        "realm": realm.name,
        "public_key": public_key,
        "token-service": format!("{}/protocol/openid-connect", realm.issuer),
        "account-service": format!("{}/account", realm.issuer),
        "tokens-not-before": realm.settings.not_before,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_of_a_known_key_parses_back() {
        // A generated RS256 key's JWK members, encoded and read back by jsonwebtoken.
        let generated = crate::crypto::jws::generate(crate::crypto::jws::SigningAlg::RS256).unwrap();
        let n = URL_SAFE_NO_PAD.decode(generated.public_jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(generated.public_jwk["e"].as_str().unwrap()).unwrap();
        let pem =
            format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(rsa_spki(&n, &e)));
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        // What the key signs, the SPKI form verifies.
        let signer = crate::crypto::jws::Signer::from_pkcs8(&generated.kid, generated.alg, &generated.pkcs8).unwrap();
        let token = signer.sign("JWT", &json!({ "sub": "x" })).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        assert!(jsonwebtoken::decode::<Value>(&token, &key, &validation).is_ok());
        assert_eq!(der_len(300), vec![0x82, 0x01, 0x2c]);
        assert_eq!(der_uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80], "a leading zero keeps it positive");
    }
}
