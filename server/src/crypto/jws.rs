//! Signing keys and compact JWS (RFC 7515) signing.
//!
//! Keys are generated here (ES256, RS256, EdDSA), published as JWKs (RFC 7517) whose `kid` is
//! the RFC 7638 thumbprint, and kept parsed in memory so that signing an access token is one
//! signature and two base64 encodings. Verification goes through `jsonwebtoken`.

use aws_lc_rs::{
    encoding::AsDer,
    rsa::KeySize,
    signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256},
};
use serde::Serialize;
use serde_json::{json, Value};
use std::{fmt, str::FromStr};

use super::{b64, sha256};

/// A JWS signing algorithm Portcullis issues tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum SigningAlg {
    ES256,
    RS256,
    EdDSA,
}

impl SigningAlg {
    /// Every algorithm, in the order keys are generated for a new realm.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::ES256, SigningAlg::RS256, SigningAlg::EdDSA];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::RS256 => "RS256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    /// The matching `jsonwebtoken` algorithm, for verification.
    pub fn jwt_algorithm(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlg::ES256 => jsonwebtoken::Algorithm::ES256,
            SigningAlg::RS256 => jsonwebtoken::Algorithm::RS256,
            SigningAlg::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" => Ok(SigningAlg::ES256),
            "RS256" => Ok(SigningAlg::RS256),
            "EdDSA" => Ok(SigningAlg::EdDSA),
            other => Err(format!("unsupported signing algorithm {other:?} (expected ES256, RS256 or EdDSA)")),
        }
    }
}

/// Why a key could not be generated or loaded.
#[derive(Debug, thiserror::Error)]
#[error("signing key error: {0}")]
pub struct KeyError(String);

/// A freshly generated key: its private PKCS#8 DER (to be sealed) and its public JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub pkcs8: Vec<u8>,
    pub public_jwk: Value,
}

/// Generates a new key pair for `alg`.
pub fn generate(alg: SigningAlg) -> Result<GeneratedKey, KeyError> {
    let err = |e: &dyn fmt::Display| KeyError(format!("{alg}: {e}"));
    let pkcs8 = match alg {
        SigningAlg::ES256 => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|e| err(&e))?.as_ref().to_vec()
        }
        SigningAlg::RS256 => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| err(&e))?;
            pair.as_der().map_err(|e| err(&e))?.as_ref().to_vec()
        }
        SigningAlg::EdDSA => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| err(&e))?.as_ref().to_vec()
        }
    };
    let signer = Signer::from_pkcs8("", alg, &pkcs8)?;
    let mut public_jwk = signer.public_members();
    let kid = thumbprint(&public_jwk);
    public_jwk["kid"] = json!(kid);
    public_jwk["alg"] = json!(alg.as_str());
    public_jwk["use"] = json!("sig");
    Ok(GeneratedKey { kid, alg, pkcs8, public_jwk })
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of the required public members.
fn thumbprint(members: &Value) -> String {
    // serde_json's map is ordered by key (no `preserve_order`), which is the lexicographic
    // order RFC 7638 §3 asks for, and it emits no whitespace.
    b64(&sha256(members.to_string().as_bytes()))
}

enum SignerKey {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key, ready to sign.
pub struct Signer {
    kid: String,
    alg: SigningAlg,
    key: SignerKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

impl Signer {
    /// Parses a PKCS#8 DER private key.
    pub fn from_pkcs8(kid: &str, alg: SigningAlg, der: &[u8]) -> Result<Self, KeyError> {
        let err = |e: &dyn fmt::Display| KeyError(format!("{alg} key {kid}: {e}"));
        let key = match alg {
            SigningAlg::ES256 => {
                SignerKey::Ec(EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|e| err(&e))?)
            }
            SigningAlg::RS256 => SignerKey::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|e| err(&e))?),
            SigningAlg::EdDSA => SignerKey::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(|e| err(&e))?),
        };
        Ok(Self { kid: kid.to_owned(), alg, key })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public members of the JWK (those that enter the RFC 7638 thumbprint).
    fn public_members(&self) -> Value {
        match &self.key {
            SignerKey::Ec(k) => {
                // Uncompressed point: 0x04 ‖ x ‖ y.
                let p = k.public_key().as_ref();
                json!({"crv": "P-256", "kty": "EC", "x": b64(&p[1..33]), "y": b64(&p[33..65])})
            }
            SignerKey::Rsa(k) => {
                let pk = k.public_key();
                json!({
                    "e": b64(pk.exponent().big_endian_without_leading_zero()),
                    "kty": "RSA",
                    "n": b64(pk.modulus().big_endian_without_leading_zero()),
                })
            }
            SignerKey::Ed(k) => {
                json!({"crv": "Ed25519", "kty": "OKP", "x": b64(k.public_key().as_ref())})
            }
        }
    }

    /// Signs `claims` as a compact JWS with header `{"alg","kid","typ"}`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let header = json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": typ});
        let claims = serde_json::to_vec(claims).map_err(|e| KeyError(e.to_string()))?;
        let mut out = String::with_capacity(64 + claims.len() * 4 / 3 + 360);
        out.push_str(&b64(header.to_string().as_bytes()));
        out.push('.');
        out.push_str(&b64(&claims));
        let signature = self.sign_bytes(out.as_bytes())?;
        out.push('.');
        out.push_str(&b64(&signature));
        Ok(out)
    }

    fn sign_bytes(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let err = |e: &dyn fmt::Display| KeyError(format!("signing with {}: {e}", self.kid));
        match &self.key {
            SignerKey::Ec(k) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                Ok(k.sign(&rng, msg).map_err(|e| err(&e))?.as_ref().to_vec())
            }
            SignerKey::Rsa(k) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).map_err(|e| err(&e))?;
                Ok(sig)
            }
            SignerKey::Ed(k) => Ok(k.sign(msg).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{jwk::Jwk, DecodingKey, Validation};

    #[test]
    fn every_algorithm_signs_what_jsonwebtoken_verifies() {
        for alg in SigningAlg::ALL {
            let generated = generate(alg).unwrap();
            let signer = Signer::from_pkcs8(&generated.kid, alg, &generated.pkcs8).unwrap();
            assert_eq!(signer.public_members()["kty"], generated.public_jwk["kty"]);
            let token = signer.sign("at+jwt", &json!({"sub": "x", "exp": 4_000_000_000u64})).unwrap();
            let jwk: Jwk = serde_json::from_value(generated.public_jwk.clone()).unwrap();
            let key = DecodingKey::from_jwk(&jwk).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(generated.kid.as_str()));
            assert_eq!(header.typ.as_deref(), Some("at+jwt"));
            let mut v = Validation::new(alg.jwt_algorithm());
            v.validate_aud = false;
            let data = jsonwebtoken::decode::<Value>(&token, &key, &v).unwrap();
            assert_eq!(data.claims["sub"], "x");
        }
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 7638 §3.1 example key and thumbprint.
        let members = json!({
            "e": "AQAB",
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        });
        assert_eq!(thumbprint(&members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
