//! A realm as the protocol sees it: settings, issuer, parsed signing keys, scope rules.

use super::LoadError;
use crate::{
    crypto::{
        jws::{self, Signer, SigningAlg},
        master_key::MasterKey,
    },
    model::scope::Implications,
    store::{self, realms::RealmRow, Executes},
};
use jsonwebtoken::{jwk::Jwk, DecodingKey};
use std::collections::HashMap;

/// A loaded realm.
pub struct Realm {
    pub id: String,
    pub name: String,
    /// `{PUBLIC_URL}/realms/{name}`.
    pub issuer: String,
    pub settings: RealmRow,
    pub keys: KeySet,
    pub implications: Implications,
    /// Scope name → description, for the consent page and discovery.
    pub scopes: HashMap<String, String>,
}

impl std::fmt::Debug for Realm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realm").field("name", &self.name).finish_non_exhaustive()
    }
}

/// A realm's keys: the signers per algorithm (each from its `active_from`), verifiers for
/// every published key, and the JWKS document rendered once.
pub struct KeySet {
    /// Per algorithm, `(active_from, signer)` newest first.
    signers: HashMap<SigningAlg, Vec<(i64, Signer)>>,
    verifiers: HashMap<String, (SigningAlg, DecodingKey)>,
    jwks: String,
    verified: Verified,
}

/// Tokens whose signature these keys verified, by SHA-256 of the whole token, with their
/// expiry: a resource server introspects (or calls userinfo with) the same token on every
/// request it serves, and checking an ES256 signature was 40 % of such a request's CPU. The
/// same bytes verify the same way for as long as these keys are the realm's, and a change of
/// keys builds a new set, which starts empty. Bounded: when full, expired entries go, and if
/// none has expired, all of them.
#[derive(Default)]
struct Verified(std::sync::Mutex<HashMap<[u8; 32], i64>>);

/// The most tokens [`Verified`] remembers.
const VERIFIED_MAX: usize = 16_384;

impl KeySet {
    /// The key that signs with `alg` at `now`: the newest whose `active_from` has come. The
    /// choice follows the clock, so every instance switches to a rotated key at the same moment
    /// without reloading.
    pub fn signer(&self, alg: SigningAlg, now: i64) -> Option<&Signer> {
        let keys = self.signers.get(&alg)?;
        keys.iter().find(|(from, _)| *from <= now).or(keys.last()).map(|(_, s)| s)
    }

    /// The verification key `kid` and its algorithm.
    pub fn verifier(&self, kid: &str) -> Option<&(SigningAlg, DecodingKey)> {
        self.verifiers.get(kid)
    }

    /// The JWKS document (RFC 7517 §5).
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// Whether a token with SHA-256 `digest` was verified by these keys (see
    /// [`KeySet::remember_verified`]).
    pub fn was_verified(&self, digest: &[u8; 32]) -> bool {
        self.verified.0.lock().unwrap_or_else(|e| e.into_inner()).contains_key(digest)
    }

    /// Remembers that the token with SHA-256 `digest`, expiring at `exp`, verified; `now`
    /// decides which entries are expired when the memory is full.
    pub fn remember_verified(&self, digest: [u8; 32], exp: i64, now: i64) {
        let mut map = self.verified.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= VERIFIED_MAX {
            map.retain(|_, &mut e| e > now);
            if map.len() >= VERIFIED_MAX {
                map.clear();
            }
        }
        map.insert(digest, exp);
    }

    /// One fresh key per algorithm, each signing from time 0: for tests and the fuzz targets (a
    /// realm's keys come from its database rows, see `Realm::load`).
    pub fn generate() -> Result<KeySet, String> {
        let mut keys = KeySet {
            signers: HashMap::new(),
            verifiers: HashMap::new(),
            jwks: String::new(),
            verified: Verified::default(),
        };
        let mut jwks = Vec::new();
        for alg in SigningAlg::ALL {
            let generated = jws::generate(alg).map_err(|e| e.to_string())?;
            let jwk: Jwk = serde_json::from_value(generated.public_jwk.clone()).map_err(|e| e.to_string())?;
            let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
            let signer = Signer::from_pkcs8(&generated.kid, alg, &generated.pkcs8).map_err(|e| e.to_string())?;
            keys.verifiers.insert(generated.kid.clone(), (alg, decoding));
            keys.signers.insert(alg, vec![(0, signer)]);
            jwks.push(generated.public_jwk);
        }
        keys.jwks = serde_json::json!({ "keys": jwks }).to_string();
        Ok(keys)
    }
}

impl Realm {
    pub(super) async fn load(
        c: &mut impl Executes,
        settings: RealmRow,
        master: &MasterKey,
        public_url: &str,
    ) -> Result<Realm, LoadError> {
        let corrupt = |detail: String| LoadError::Corrupt { realm: settings.name.clone(), detail };
        let rows = store::keys::published(c, &settings.id).await?;
        let mut signers = HashMap::new();
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        for row in rows {
            let alg: SigningAlg = row.alg.parse().map_err(corrupt)?;
            let jwk_value: serde_json::Value =
                serde_json::from_str(&row.public_jwk).map_err(|e| corrupt(e.to_string()))?;
            let jwk: Jwk = serde_json::from_value(jwk_value.clone()).map_err(|e| corrupt(e.to_string()))?;
            let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| corrupt(e.to_string()))?;
            verifiers.insert(row.kid.clone(), (alg, decoding));
            jwks.push(jwk_value);
            // Every active key may sign from its `active_from`; `signer` picks at signing time.
            if row.status == "active" {
                let der = master.open(&row.private_key_enc, row.kid.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
                let signer = Signer::from_pkcs8(&row.kid, alg, &der).map_err(|e| corrupt(e.to_string()))?;
                let current = row.retire_at.is_none();
                signers.entry(alg).or_insert_with(Vec::new).push(((current, row.active_from, row.created_at), signer));
            }
        }
        let signers = signers
            .into_iter()
            .map(|(alg, mut keys)| {
                // A key not yet replaced before the keys it replaced (they may start signing in
                // the same second), then the latest to start signing, then the newest.
                keys.sort_by_key(|k| std::cmp::Reverse(k.0));
                (alg, keys.into_iter().map(|((_, from, _), signer)| (from, signer)).collect())
            })
            .collect();
        let scopes = store::scopes::list(c, &settings.id).await?;
        let implications = Implications::from_pairs(store::scopes::implications(c, &settings.id).await?);
        Ok(Realm {
            id: settings.id.clone(),
            name: settings.name.clone(),
            issuer: format!("{public_url}/realms/{}", settings.name),
            keys: KeySet {
                signers,
                verifiers,
                jwks: serde_json::json!({ "keys": jwks }).to_string(),
                verified: Verified::default(),
            },
            implications,
            scopes: scopes.into_iter().map(|s| (s.name, s.description)).collect(),
            settings,
        })
    }

    /// The algorithm access tokens are signed with.
    pub fn access_token_alg(&self) -> SigningAlg {
        self.settings.access_token_alg.parse().unwrap_or(SigningAlg::ES256)
    }
}
