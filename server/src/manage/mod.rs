//! Administrative operations shared by the CLI, the console and (later) the admin REST API:
//! realms, clients, users and admin accounts. Each operation validates everything first,
//! writes in one transaction (audit event and change-log row included) and only then drops
//! the affected cache entries, so a failure leaves nothing half-written.

pub mod activity;
pub mod actor;
pub mod admin_roles;
pub mod api_key;
pub mod client;
pub mod client_query;
pub mod client_update;
pub mod identity_provider;
pub mod keys;
pub mod permissions;
pub mod project;
pub mod realm;
pub mod role;
pub mod scope;
pub mod service_account;
pub mod service_connection;
pub mod stats;
pub mod user;
pub mod user_access;

pub use actor::Actor;

use crate::{
    clock::SharedClock,
    crypto::master_key::MasterKey,
    registry::Registry,
    store::{self, audit::NewAudit, Db, Tx},
};
use std::sync::Arc;

/// Why an administrative operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Bad input; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The thing already exists.
    #[error("{0}")]
    Conflict(String),
    /// The thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The actor lacks the permission; nothing was read or written.
    #[error("{0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

/// Turns a unique-constraint violation into `Conflict(message)`.
pub(crate) fn on_unique(message: impl FnOnce() -> String) -> impl FnOnce(sqlx::Error) -> ManageError {
    move |e| {
        if store::is_unique_violation(&e) {
            ManageError::Conflict(message())
        } else {
            ManageError::Db(e)
        }
    }
}

/// What administrative operations need.
#[derive(Clone)]
pub struct Manager {
    pub db: Db,
    pub master: Arc<MasterKey>,
    pub clock: SharedClock,
    /// The running server's cache, to drop entries at once; `None` in the CLI, whose changes
    /// reach servers through the change log.
    pub registry: Option<Arc<Registry>>,
}

impl Manager {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Records the audit event and the change-log entry of a change to a realm or client, in
    /// the transaction that makes the change.
    async fn record(
        &self,
        tx: &mut Tx,
        realm_id: &str,
        entity: &str,
        key: &str,
        audit: NewAudit<'_>,
    ) -> Result<(), ManageError> {
        let now = self.now();
        store::audit::insert(tx, &NewAudit { realm_id: Some(realm_id), ..audit }, now).await?;
        store::changes::record(tx, realm_id, entity, key, now).await?;
        Ok(())
    }

    /// The realm `name`, once `actor` is found to hold one of `permissions` there.
    async fn realm_for(
        &self,
        name: &str,
        actor: &Actor,
        permissions: &[&str],
    ) -> Result<store::realms::RealmRow, ManageError> {
        let realm = self.realm_row(name).await?;
        actor.require_any(&realm.id, permissions)?;
        Ok(realm)
    }

    /// Records the change (audit event and change log), commits it, then drops the cache
    /// entries it touched: the end of every change to a realm or client.
    async fn finish(
        &self,
        mut tx: Tx,
        realm_id: &str,
        entity: &str,
        key: &str,
        audit: NewAudit<'_>,
    ) -> Result<(), ManageError> {
        self.record(&mut tx, realm_id, entity, key, audit).await?;
        tx.commit().await?;
        self.invalidate(realm_id, entity, key);
        Ok(())
    }

    fn invalidate(&self, realm_id: &str, entity: &str, key: &str) {
        if let Some(reg) = &self.registry {
            match entity {
                "client" => reg.invalidate_client(realm_id, key),
                _ => reg.invalidate_realm(realm_id),
            }
        }
    }
}
