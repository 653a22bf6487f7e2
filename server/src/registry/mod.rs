//! The registry: an in-memory view of realms (settings, keys, scopes) and clients (settings,
//! secrets, roles), loaded on first use and dropped when they change.
//!
//! The token endpoint reads only from here, so issuing a token costs no database round trip.
//! Changes made by this process drop entries at once; changes made by other processes (the
//! CLI, other instances) arrive through the `changes` log, polled every
//! `change_poll_interval` (1 s by default).

mod client;
mod credentials;
mod realm;

pub use client::Client;
pub use credentials::CredentialCache;
pub use realm::{KeySet, Realm};

use crate::{
    crypto::master_key::MasterKey,
    store::{self, Db},
};
use dashmap::DashMap;
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

/// Why a realm or client could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("realm {realm}: {detail}")]
    Corrupt { realm: String, detail: String },
}

/// The cache of realms and clients.
pub struct Registry {
    db: Db,
    master: Arc<MasterKey>,
    public_url: String,
    realms: DashMap<String, Arc<Realm>>,
    clients: DashMap<(String, String), Arc<Client>>,
    /// Bumped by every invalidation; a load that raced with one is not cached.
    epoch: AtomicU64,
    /// Verified client secrets, so argon2 runs once per secret rather than once per request.
    pub credentials: CredentialCache,
}

impl Registry {
    /// An empty registry.
    pub fn new(db: Db, master: Arc<MasterKey>, public_url: String) -> Self {
        Self {
            db,
            master,
            public_url,
            realms: DashMap::new(),
            clients: DashMap::new(),
            epoch: AtomicU64::new(0),
            credentials: CredentialCache::new(),
        }
    }

    /// The public base URL (issuer base).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The realm named `name`, if it exists.
    pub async fn realm(&self, name: &str) -> Result<Option<Arc<Realm>>, LoadError> {
        if let Some(r) = self.realms.get(name) {
            return Ok(Some(r.clone()));
        }
        // A name no realm can have is answered without asking the database (PostgreSQL refuses
        // text with NUL bytes outright).
        if crate::model::validate::realm_name(name).is_err() {
            return Ok(None);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let mut conn = self.db.conn().await?;
        let Some(row) = store::realms::by_name(&mut conn, name).await? else {
            return Ok(None);
        };
        let realm = Arc::new(Realm::load(&mut conn, row, &self.master, &self.public_url).await?);
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.realms.insert(name.to_owned(), realm.clone());
        }
        Ok(Some(realm))
    }

    /// The client `client_id` of `realm`, if it exists.
    pub async fn client(&self, realm: &Realm, client_id: &str) -> Result<Option<Arc<Client>>, LoadError> {
        let key = (realm.id.clone(), client_id.to_owned());
        if let Some(c) = self.clients.get(&key) {
            return Ok(Some(c.clone()));
        }
        if client_id.is_empty() || client_id.contains('\0') {
            return Ok(None);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let mut conn = self.db.conn().await?;
        let Some(row) = store::clients::by_client_id(&mut conn, &realm.id, client_id).await? else {
            return Ok(None);
        };
        let client = Arc::new(Client::load(&mut conn, row).await?);
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.clients.insert(key, client.clone());
        }
        Ok(Some(client))
    }

    /// Drops a realm (by id) and, since their view of it may depend on it, its clients.
    pub fn invalidate_realm(&self, realm_id: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.realms.retain(|_, r| r.id != realm_id);
        self.clients.retain(|(rid, _), _| rid != realm_id);
    }

    /// Drops one client.
    pub fn invalidate_client(&self, realm_id: &str, client_id: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.clients.remove(&(realm_id.to_owned(), client_id.to_owned()));
    }

    /// Applies the change log after `*last`, advancing it. Returns how many changes applied.
    pub async fn apply_changes(&self, last: &mut i64) -> Result<usize, sqlx::Error> {
        let mut conn = self.db.conn().await?;
        let changes = store::changes::since(&mut conn, *last).await?;
        for ch in &changes {
            match ch.entity.as_str() {
                "client" => self.invalidate_client(&ch.realm_id, &ch.key),
                _ => self.invalidate_realm(&ch.realm_id),
            }
            *last = ch.id;
        }
        Ok(changes.len())
    }
}
