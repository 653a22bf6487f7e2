//! The realm's signing keys: Keycloak's `GET /keys` (`KeysMetadataRepresentation`), and
//! Portcullis's `POST /keys/rotate` and `GET`/`PUT /keys/rotation` (the rotation settings).

use super::{
    auth::ApiActor,
    error::ApiError,
    model::{ApiJson, ErrorRepresentation, RealmPath},
};
use crate::{
    manage::keys::{parse_alg, KeyInfo, KeySettingsChange, KeyState},
    oauth::realm_info::rsa_spki,
    state::AppState,
    store::keys::RotationSettings,
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    Json,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The realm's keys (Keycloak's `KeysMetadataRepresentation`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeysMetadataRepresentation {
    /// Algorithm → the kid of the key that signs now.
    pub active: BTreeMap<String, String>,
    pub keys: Vec<KeyMetadataRepresentation>,
}

/// One key (Keycloak's `KeyMetadataRepresentation`, with Portcullis's rotation times).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyMetadataRepresentation {
    /// The kind of key provider: `ecdsa-generated`, `rsa-generated` or `eddsa-generated`.
    pub provider_id: String,
    /// Newer keys rank higher (the time they start signing).
    pub provider_priority: i64,
    pub kid: String,
    /// `ACTIVE` (signs now), `PASSIVE` (published: verifies, and signs later if `activeFrom`
    /// is ahead, else no longer) or `DISABLED` (retired, gone from the JWKS).
    pub status: String,
    /// `EC`, `RSA` or `OKP`.
    #[serde(rename = "type")]
    pub kind: String,
    pub algorithm: String,
    /// The public key, base64 DER (SubjectPublicKeyInfo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Always `SIG`.
    #[serde(rename = "use")]
    pub usage: String,
    /// When the key leaves the JWKS, milliseconds since the epoch (absent while it is current).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<i64>,
    /// Portcullis: `Active`, `Published`, `Retiring` or `Retired`.
    pub state: String,
    /// Portcullis: when the key starts (or started) signing, milliseconds since the epoch.
    pub active_from: i64,
    /// Milliseconds since the epoch.
    pub created_timestamp: i64,
}

/// What `POST /keys/rotate` rotates.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct RotateRequest {
    /// `ES256`, `RS256` or `EdDSA`; every algorithm when absent.
    pub algorithm: Option<String>,
}

/// The realm's rotation settings.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRotationRepresentation {
    /// Rotate automatically when the newest key of an algorithm is this many days old; 0 = never (0–3650).
    pub rotation_days: Option<i64>,
    /// Seconds a new key is in the JWKS before it signs (0–604800).
    pub publish_delay: Option<i64>,
}

/// A public JWK as SubjectPublicKeyInfo DER, base64.
fn spki(jwk: &serde_json::Value) -> Option<String> {
    let part = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str()?).ok();
    let der = match jwk["kty"].as_str()? {
        "RSA" => rsa_spki(&part("n")?, &part("e")?),
        "EC" => {
            // id-ecPublicKey with prime256v1, then the uncompressed point.
            const PREFIX: &[u8] = &[
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
                0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
            ];
            let (x, y) = (part("x")?, part("y")?);
            (x.len() == 32 && y.len() == 32).then(|| [PREFIX, &x, &y].concat())?
        }
        "OKP" => {
            // id-Ed25519.
            const PREFIX: &[u8] = &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
            let x = part("x")?;
            (x.len() == 32).then(|| [PREFIX, &x].concat())?
        }
        _ => return None,
    };
    Some(STANDARD.encode(der))
}

/// A key in Keycloak's shape.
pub fn metadata(k: &KeyInfo) -> KeyMetadataRepresentation {
    let kind = k.public_jwk["kty"].as_str().unwrap_or_default().to_owned();
    let provider = match kind.as_str() {
        "EC" => "ecdsa-generated",
        "OKP" => "eddsa-generated",
        _ => "rsa-generated",
    };
    KeyMetadataRepresentation {
        provider_id: provider.into(),
        provider_priority: k.active_from,
        kid: k.kid.clone(),
        status: match k.state {
            KeyState::Active => "ACTIVE",
            KeyState::Published | KeyState::Retiring => "PASSIVE",
            KeyState::Retired => "DISABLED",
        }
        .into(),
        kind,
        algorithm: k.alg.clone(),
        public_key: spki(&k.public_jwk),
        usage: "SIG".into(),
        valid_to: k.retire_at.map(|t| t * 1000),
        state: k.state.as_str().into(),
        active_from: k.active_from * 1000,
        created_timestamp: k.created_at * 1000,
    }
}

/// The realm's signing keys (`view-realm` or `manage-realm`)
///
/// Every key, retired ones included; `active` names the key that signs now per algorithm.
#[utoipa::path(get, path = "/keys", tag = "Keys", params(RealmPath),
    responses((status = 200, body = KeysMetadataRepresentation), (status = 403, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn list(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<KeysMetadataRepresentation>, ApiError> {
    let view = s.manager.list_keys(&realm, &a).await?;
    let active = view.keys.iter().filter(|k| k.state == KeyState::Active).map(|k| (k.alg.clone(), k.kid.clone()));
    Ok(Json(KeysMetadataRepresentation { active: active.collect(), keys: view.keys.iter().map(metadata).collect() }))
}

/// Rotate signing keys (`manage-realm`)
///
/// Publishes a new key per algorithm (the one named, or every one) in the JWKS at once; it
/// signs after the realm's publish delay. The keys it replaces verify until every token they
/// signed has expired, then leave the JWKS. Answers with the new keys.
#[utoipa::path(post, path = "/keys/rotate", tag = "Keys", params(RealmPath), request_body(content = RotateRequest,
        description = "Optional; without a body (or `algorithm`) every algorithm rotates"),
    responses((status = 200, body = Vec<KeyMetadataRepresentation>), (status = 400, body = ErrorRepresentation),
        (status = 403, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn rotate(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    body: Bytes,
) -> Result<Json<Vec<KeyMetadataRepresentation>>, ApiError> {
    let req: RotateRequest = match body.iter().all(u8::is_ascii_whitespace) {
        true => RotateRequest::default(),
        false => serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?,
    };
    let alg = req.algorithm.as_deref().map(parse_alg).transpose()?;
    let keys = s.manager.rotate_keys(&realm, alg, &a).await?;
    Ok(Json(keys.iter().map(metadata).collect()))
}

fn rotation(r: RotationSettings) -> KeyRotationRepresentation {
    KeyRotationRepresentation { rotation_days: Some(r.key_rotation_days), publish_delay: Some(r.key_publish_delay) }
}

/// The realm's key rotation settings (`view-realm` or `manage-realm`)
#[utoipa::path(get, path = "/keys/rotation", tag = "Keys", params(RealmPath),
    responses((status = 200, body = KeyRotationRepresentation), (status = 403, body = ErrorRepresentation),
        (status = 404, body = ErrorRepresentation)))]
pub async fn get_rotation(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
) -> Result<Json<KeyRotationRepresentation>, ApiError> {
    Ok(Json(rotation(s.manager.list_keys(&realm, &a).await?.settings)))
}

/// Change the key rotation settings (`manage-realm`)
///
/// Members left out stay as they are.
#[utoipa::path(put, path = "/keys/rotation", tag = "Keys", params(RealmPath), request_body = KeyRotationRepresentation,
    responses((status = 200, body = KeyRotationRepresentation), (status = 400, body = ErrorRepresentation),
        (status = 403, body = ErrorRepresentation), (status = 404, body = ErrorRepresentation)))]
pub async fn update_rotation(
    State(s): State<AppState>,
    Path(RealmPath { realm }): Path<RealmPath>,
    ApiActor(a): ApiActor,
    ApiJson(rep): ApiJson<KeyRotationRepresentation>,
) -> Result<Json<KeyRotationRepresentation>, ApiError> {
    let change = KeySettingsChange { rotation_days: rep.rotation_days, publish_delay: rep.publish_delay };
    Ok(Json(rotation(s.manager.update_key_settings(&realm, change, &a).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::jws::{generate, SigningAlg};

    #[test]
    fn public_keys_are_spki_der() {
        for alg in SigningAlg::ALL {
            let key = generate(alg).unwrap();
            let der = STANDARD.decode(spki(&key.public_jwk).unwrap()).unwrap();
            // A DER SEQUENCE whose length is the rest.
            assert_eq!(der[0], 0x30, "{alg}");
            let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(&der));
            let parsed = match alg {
                SigningAlg::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(pem.as_bytes()).is_ok(),
                SigningAlg::RS256 => jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).is_ok(),
                SigningAlg::EdDSA => jsonwebtoken::DecodingKey::from_ed_pem(pem.as_bytes()).is_ok(),
            };
            assert!(parsed, "{alg}");
        }
    }
}
