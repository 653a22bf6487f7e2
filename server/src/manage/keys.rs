//! Signing keys: list, rotate (by hand and on the realm's schedule), retire, and the rotation
//! settings.
//!
//! A rotation publishes the new key in the JWKS at once but lets it sign only from
//! `active_from` = now + the realm's publish delay, so relying parties that cache the JWKS see
//! it before any token signed with it. The keys it replaces keep signing until then (the signer
//! is chosen by the clock at signing time, so every instance switches at the same moment), then
//! verify until every token they signed has expired (`retire_at`), when the janitor retires
//! them (out of the JWKS). Each change records a `changes` row: every instance reloads the realm.

use super::{
    actor::perm::{MANAGE_REALM, VIEW_REALM},
    Actor, ManageError, Manager,
};
use crate::{
    crypto::jws::{self, GeneratedKey, SigningAlg},
    store::{
        self,
        audit::NewAudit,
        keys::{KeyRow, RotationSettings},
        realms::RealmRow,
    },
};

/// Longest automatic-rotation period, in days (10 years).
pub const MAX_ROTATION_DAYS: i64 = 3650;
/// Longest publish delay, in seconds (7 days).
pub const MAX_PUBLISH_DELAY: i64 = 7 * 24 * 3600;
/// Added to a replaced key's verification time, for relying parties' clock skew.
const LEEWAY: i64 = 60;

/// A key's state, as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs now.
    Active,
    /// In the JWKS; signs from `active_from`.
    Published,
    /// In the JWKS, no longer signs (or never will: replaced before its turn); leaves it at
    /// `retire_at`.
    Retiring,
    /// Gone from the JWKS.
    Retired,
}

impl KeyState {
    /// `Active`, `Published`, `Retiring`, `Retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "Active",
            KeyState::Published => "Published",
            KeyState::Retiring => "Retiring",
            KeyState::Retired => "Retired",
        }
    }
}

/// A key with its state at the time it was read.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    pub created_at: i64,
    pub active_from: i64,
    pub retire_at: Option<i64>,
    /// The public JWK.
    pub public_jwk: serde_json::Value,
}

/// The realm's keys (newest first, per algorithm in `SigningAlg::ALL` order) and settings.
#[derive(Debug, Clone)]
pub struct KeysView {
    pub keys: Vec<KeyInfo>,
    pub settings: RotationSettings,
}

/// A change to the rotation settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeySettingsChange {
    pub rotation_days: Option<i64>,
    pub publish_delay: Option<i64>,
}

/// The states of `rows` (one realm's keys) at `now`.
pub fn states(rows: Vec<KeyRow>, now: i64) -> Vec<KeyInfo> {
    let mut rows = rows;
    rows.sort_by(|a, b| {
        let order = |alg: &str| SigningAlg::ALL.iter().position(|x| x.as_str() == alg).unwrap_or(usize::MAX);
        // As the signer is chosen: a key not yet replaced first, then the latest to start signing.
        let rank = |k: &KeyRow| (k.retire_at.is_none(), k.active_from, k.created_at);
        (order(&a.alg), rank(b)).cmp(&(order(&b.alg), rank(a)))
    });
    let mut signing: Vec<String> = Vec::new();
    // Per algorithm, the earliest `active_from` of the keys ranked above: a key whose own is not
    // earlier never signs (one ranked above always wins from then on).
    let mut covered: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    rows.into_iter()
        .map(|r| {
            let will_sign = covered.get(&r.alg).is_none_or(|&from| r.active_from < from);
            let state = match r.status.as_str() {
                "retired" => KeyState::Retired,
                "active" if r.active_from > now && will_sign => KeyState::Published,
                // In rank order: the first key of an algorithm that may sign now is the one that signs.
                "active" if r.active_from <= now && !signing.contains(&r.alg) => {
                    signing.push(r.alg.clone());
                    KeyState::Active
                }
                _ => KeyState::Retiring,
            };
            if r.status == "active" {
                let from = covered.entry(r.alg.clone()).or_insert(r.active_from);
                *from = (*from).min(r.active_from);
            }
            KeyInfo {
                public_jwk: serde_json::from_str(&r.public_jwk).unwrap_or_default(),
                kid: r.kid,
                alg: r.alg,
                state,
                created_at: r.created_at,
                active_from: r.active_from,
                retire_at: r.retire_at,
            }
        })
        .collect()
}

/// Parses an algorithm name given by a person.
pub fn parse_alg(alg: &str) -> Result<SigningAlg, ManageError> {
    alg.trim()
        .parse()
        .map_err(|_| ManageError::Invalid(format!("unknown algorithm {alg:?}: use ES256, RS256 or EdDSA")))
}

async fn generate(algs: Vec<SigningAlg>) -> Result<Vec<GeneratedKey>, ManageError> {
    // Key generation (RSA especially) is CPU work: do it before opening the transaction.
    tokio::task::spawn_blocking(move || algs.into_iter().map(jws::generate).collect::<Result<Vec<_>, _>>())
        .await
        .map_err(|e| ManageError::Internal(e.to_string()))?
        .map_err(|e| ManageError::Internal(e.to_string()))
}

impl Manager {
    /// The realm's keys and rotation settings (`view-realm` or `manage-realm`).
    pub async fn list_keys(&self, realm: &str, actor: &Actor) -> Result<KeysView, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_REALM, MANAGE_REALM]).await?;
        let mut conn = self.db.conn().await?;
        let rows = store::keys::all(&mut conn, &realm.id).await?;
        let settings = self.key_settings(&mut conn, &realm).await?;
        Ok(KeysView { keys: states(rows, self.now()), settings })
    }

    async fn key_settings(
        &self,
        c: &mut impl store::Executes,
        realm: &RealmRow,
    ) -> Result<RotationSettings, ManageError> {
        store::keys::settings(c, &realm.id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("realm {:?} does not exist", realm.name)))
    }

    /// How long after its last signature a replaced key must still verify: the longest
    /// lifetime of anything signed (the realm's access and ID tokens, any client's own
    /// access-token lifespan), plus a minute of leeway.
    async fn signed_lifetime(&self, c: &mut impl store::Executes, realm: &RealmRow) -> Result<i64, ManageError> {
        let clients = store::keys::longest_client_lifespan(c, &realm.id).await?;
        Ok(realm.access_token_lifespan.max(realm.id_token_lifespan).max(clients) + LEEWAY)
    }

    /// Rotates the realm's `alg` key (every algorithm when `None`), `manage-realm`: publishes a
    /// new key that signs after the publish delay; the keys it replaces retire once every
    /// token they signed has expired. Returns the new keys.
    pub async fn rotate_keys(
        &self,
        realm: &str,
        alg: Option<SigningAlg>,
        actor: &Actor,
    ) -> Result<Vec<KeyInfo>, ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_REALM)?;
        let algs = alg.map(|a| vec![a]).unwrap_or_else(|| SigningAlg::ALL.to_vec());
        let generated = generate(algs).await?;
        let times = self.rotation_times(&realm).await?;
        let mut tx = self.db.begin().await?;
        let rows = self.rotate_in(&mut tx, &realm, generated, times, None).await?;
        let Some(rows) = rows else {
            return Err(ManageError::Internal("the rotation found nothing to replace".into()));
        };
        let audit = NewAudit {
            kind: "key.rotate",
            actor: actor.name(),
            detail: Some(rotation_detail(&rows, false)),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(states(rows, self.now()))
    }

    /// When keys made now for `realm` start signing, and when the keys they replace retire.
    async fn rotation_times(&self, realm: &RealmRow) -> Result<(i64, i64), ManageError> {
        let mut conn = self.db.conn().await?;
        let switch = self.now() + self.key_settings(&mut conn, realm).await?.key_publish_delay;
        Ok((switch, switch + self.signed_lifetime(&mut conn, realm).await?))
    }

    /// In `tx`, as its first writes: marks the keys `generated` replace and inserts them. With
    /// `created_before` (the automatic rotation), only when the newest key of each algorithm
    /// was created before it; `None` when that was not so (another instance rotated first).
    async fn rotate_in(
        &self,
        tx: &mut store::Tx,
        realm: &RealmRow,
        generated: Vec<GeneratedKey>,
        (switch, retire_at): (i64, i64),
        created_before: Option<i64>,
    ) -> Result<Option<Vec<KeyRow>>, ManageError> {
        // The conditional write comes first (no read before it in the transaction): it is what
        // makes racing instances take turns, and the second finds nothing to mark.
        let mut marked = 0;
        for key in &generated {
            marked += store::keys::supersede(&mut *tx, &realm.id, key.alg.as_str(), retire_at, created_before).await?;
        }
        if created_before.is_some() && marked == 0 {
            return Ok(None);
        }
        let mut rows = Vec::new();
        for key in generated {
            let row = KeyRow {
                private_key_enc: self.master.seal(&key.pkcs8, key.kid.as_bytes()),
                kid: key.kid,
                realm_id: realm.id.clone(),
                alg: key.alg.to_string(),
                status: "active".into(),
                public_jwk: key.public_jwk.to_string(),
                created_at: self.now(),
                retire_at: None,
                active_from: switch,
            };
            store::keys::insert(&mut *tx, &row).await?;
            rows.push(row);
        }
        Ok(Some(rows))
    }

    /// Changes the rotation settings (`manage-realm`). Returns them as saved.
    pub async fn update_key_settings(
        &self,
        realm: &str,
        change: KeySettingsChange,
        actor: &Actor,
    ) -> Result<RotationSettings, ManageError> {
        let realm = self.realm_row(realm).await?;
        actor.require(&realm.id, MANAGE_REALM)?;
        if let Some(d) = change.rotation_days {
            if !(0..=MAX_ROTATION_DAYS).contains(&d) {
                return Err(ManageError::Invalid(format!(
                    "--rotation-days must be between 0 (never) and {MAX_ROTATION_DAYS} days"
                )));
            }
        }
        if let Some(s) = change.publish_delay {
            if !(0..=MAX_PUBLISH_DELAY).contains(&s) {
                return Err(ManageError::Invalid(format!(
                    "--publish-delay must be between 0 and {MAX_PUBLISH_DELAY} seconds (7 days)"
                )));
            }
        }
        let mut tx = self.db.begin().await?;
        let before = self.key_settings(&mut tx, &realm).await?;
        let after = RotationSettings {
            key_rotation_days: change.rotation_days.unwrap_or(before.key_rotation_days),
            key_publish_delay: change.publish_delay.unwrap_or(before.key_publish_delay),
        };
        if after == before {
            return Ok(after);
        }
        store::keys::set_settings(&mut tx, &realm.id, after, self.now()).await?;
        let audit = NewAudit {
            kind: "realm.updated",
            actor: actor.name(),
            detail: Some(serde_json::json!({
                "key_rotation_days": [before.key_rotation_days, after.key_rotation_days],
                "key_publish_delay": [before.key_publish_delay, after.key_publish_delay],
            })),
            ..Default::default()
        };
        self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
        Ok(after)
    }

    /// The janitor's part: rotates the keys of every realm whose newest key of an algorithm is
    /// older than its `key_rotation_days`, then retires the keys whose `retire_at` has passed.
    /// Safe when several instances run it at once: one rotation happens. Returns the number of
    /// keys made and retired.
    pub async fn rotate_and_retire_keys(&self) -> Result<(usize, usize), ManageError> {
        let now = self.now();
        let mut made = 0;
        let realms = {
            let mut conn = self.db.conn().await?;
            store::keys::rotating_realms(&mut conn).await?
        };
        for (id, name, days) in realms {
            let cutoff = now - days * 24 * 3600;
            let stale = {
                let mut conn = self.db.conn().await?;
                store::keys::stale_algs(&mut conn, &id, cutoff).await?
            };
            let algs: Vec<SigningAlg> = stale.iter().filter_map(|a| a.parse().ok()).collect();
            if algs.is_empty() {
                continue;
            }
            let realm = self.realm_row(&name).await?;
            for alg in algs {
                let generated = generate(vec![alg]).await?;
                let times = self.rotation_times(&realm).await?;
                let mut tx = self.db.begin().await?;
                let Some(rows) = self.rotate_in(&mut tx, &realm, generated, times, Some(cutoff)).await? else {
                    continue;
                };
                made += rows.len();
                let audit = NewAudit {
                    kind: "key.rotate",
                    actor: "system",
                    detail: Some(rotation_detail(&rows, true)),
                    ..Default::default()
                };
                self.finish(tx, &realm.id, "realm", &realm.name, audit).await?;
            }
        }
        let mut tx = self.db.begin().await?;
        let retired = store::keys::retire_due(&mut tx, now).await?;
        let mut realms: Vec<&str> = retired.iter().map(|(r, _)| r.as_str()).collect();
        realms.dedup();
        for realm_id in &realms {
            let kids: Vec<&str> = retired.iter().filter(|(r, _)| r == realm_id).map(|(_, k)| k.as_str()).collect();
            let audit = NewAudit {
                kind: "key.retired",
                actor: "system",
                detail: Some(serde_json::json!({ "kids": kids })),
                ..Default::default()
            };
            self.record(&mut tx, realm_id, "realm", "", audit).await?;
        }
        tx.commit().await?;
        for realm_id in &realms {
            self.invalidate(realm_id, "realm", "");
        }
        Ok((made, retired.len()))
    }
}

fn rotation_detail(rows: &[KeyRow], automatic: bool) -> serde_json::Value {
    serde_json::json!({
        "keys": rows.iter().map(|r| serde_json::json!({ "kid": r.kid, "algorithm": r.alg })).collect::<Vec<_>>(),
        "active_from": rows.first().map(|r| r.active_from),
        "automatic": automatic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, from: i64, retire_at: Option<i64>) -> KeyRow {
        KeyRow {
            kid: kid.into(),
            realm_id: "r".into(),
            alg: "ES256".into(),
            status: "active".into(),
            private_key_enc: vec![],
            public_jwk: "{}".into(),
            created_at: from,
            retire_at,
            active_from: from,
        }
    }

    fn shown(rows: Vec<KeyRow>, now: i64) -> Vec<(String, &'static str)> {
        states(rows, now).into_iter().map(|k| (k.kid, k.state.as_str())).collect()
    }

    #[test]
    fn states_follow_the_signer_choice() {
        // a signs; b was published to sign at 200 but c replaced it first, to sign at 200 too.
        let rows = vec![key("a", 0, Some(500)), key("b", 200, Some(500)), key("c", 200, None)];
        assert_eq!(
            shown(rows.clone(), 100),
            [("c".into(), "Published"), ("b".into(), "Retiring"), ("a".into(), "Active")]
        );
        assert_eq!(shown(rows, 200), [("c".into(), "Active"), ("b".into(), "Retiring"), ("a".into(), "Retiring")]);
        // Rotated in the same second with no delay: the replacing key signs.
        let rows = vec![key("old", 50, Some(400)), key("new", 50, None)];
        assert_eq!(shown(rows, 50), [("new".into(), "Active"), ("old".into(), "Retiring")]);
        // A key published for 300 while the one replacing it is due at 400 signs in between.
        let rows = vec![key("a", 0, Some(900)), key("b", 300, Some(900)), key("c", 400, None)];
        assert_eq!(shown(rows, 100), [("c".into(), "Published"), ("b".into(), "Published"), ("a".into(), "Active")]);
    }
}
