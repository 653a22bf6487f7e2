//! What the console (and the REST API) read about clients, each read behind its permission:
//! `view-clients` (or `query-clients` for the list) in the realm.

use super::{
    actor::perm::{VIEW_CLIENTS, VIEW_EVENTS},
    admin_roles::REALM_MANAGEMENT,
    Actor, ManageError, Manager,
};
use crate::store::{
    self,
    audit::AuditRow,
    clients::{ClientRow, SecretRow},
    realms::RealmRow,
    refresh_tokens::FamilyRow,
    roles::OwnedRole,
};

/// Longest page of the client list.
pub const MAX_PAGE: i64 = 100;

/// One page of a realm's clients.
#[derive(Debug)]
pub struct ClientPage {
    pub realm: RealmRow,
    pub clients: Vec<ClientRow>,
    /// How many clients match the search in all.
    pub total: i64,
}

/// Everything about one client the console shows.
#[derive(Debug)]
pub struct ClientDetail {
    pub realm: RealmRow,
    pub client: ClientRow,
    /// `(scope name, is default)`.
    pub scopes: Vec<(String, bool)>,
    /// The secrets that still verify, newest (the current one) first; no hashes leave here.
    pub secrets: Vec<SecretMeta>,
    /// The roles granted directly to the service account.
    pub service_account_roles: Vec<AssignedRole>,
    /// Ids of the projects the client may ask a token for.
    pub projects: Vec<String>,
}

/// When a secret was made and, for a superseded one, until when it still works.
#[derive(Debug, Clone)]
pub struct SecretMeta {
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl From<SecretRow> for SecretMeta {
    fn from(s: SecretRow) -> Self {
        SecretMeta { created_at: s.created_at, expires_at: s.expires_at }
    }
}

/// A role held by a service account: `client_id` of the owning client, `None` for realm roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedRole {
    pub client_id: Option<String>,
    pub name: String,
    pub description: String,
}

impl Manager {
    /// Clients whose id or name contains `search`, `max` (at most [`MAX_PAGE`]) from `first`.
    pub async fn search_clients(
        &self,
        realm: &str,
        search: &str,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<ClientPage, ManageError> {
        // view-clients includes query-clients (and manage-clients both).
        let realm = self.realm_for(realm, actor, &["query-clients"]).await?;
        let mut conn = self.db.conn().await?;
        let (clients, total) =
            store::clients::search(&mut conn, &realm.id, search, first.max(0), max.clamp(1, MAX_PAGE)).await?;
        Ok(ClientPage { realm, clients, total })
    }

    /// The client `client_id` with its scopes, secrets, service-account roles and projects.
    pub async fn client_detail(
        &self,
        realm: &str,
        client_id: &str,
        actor: &Actor,
    ) -> Result<ClientDetail, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS]).await?;
        let mut conn = self.db.conn().await?;
        let client = store::clients::by_client_id(&mut conn, &realm.id, client_id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no client {client_id:?} in realm {:?}", realm.name)))?;
        let scopes = store::clients::scopes(&mut conn, &client.id).await?;
        let secrets = store::clients::valid_secrets(&mut conn, &client.id, self.now()).await?;
        let direct = store::roles::direct_of_service_account(&mut conn, &client.id).await?;
        let service_account_roles = direct.into_iter().map(AssignedRole::from).collect();
        let projects = store::projects::of_client(&mut conn, &client.id).await?;
        Ok(ClientDetail {
            secrets: secrets.into_iter().map(SecretMeta::from).collect(),
            realm,
            client,
            scopes,
            service_account_roles,
            projects,
        })
    }

    /// Every role of the realm a service account could hold: realm roles, and the roles of
    /// each client (`realm-management`'s only for those holding them, see `check_grantable`).
    pub async fn assignable_roles(&self, realm: &str, actor: &Actor) -> Result<Vec<AssignedRole>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS]).await?;
        let mut conn = self.db.conn().await?;
        let mut roles: Vec<AssignedRole> =
            store::roles::all_of_realm(&mut conn, &realm.id).await?.into_iter().map(AssignedRole::from).collect();
        roles.retain(|r| r.client_id.as_deref() != Some(REALM_MANAGEMENT) || actor.can(&realm.id, &r.name));
        Ok(roles)
    }

    /// The client's live refresh families (at most `limit`), newest first.
    pub async fn client_sessions(
        &self,
        realm: &str,
        client_id: &str,
        limit: i64,
        actor: &Actor,
    ) -> Result<Vec<FamilyRow>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_CLIENTS]).await?;
        let mut conn = self.db.conn().await?;
        let Some(client) = store::clients::by_client_id(&mut conn, &realm.id, client_id).await? else {
            return Err(ManageError::NotFound(format!("no client {client_id:?} in realm {:?}", realm.name)));
        };
        Ok(store::refresh_tokens::live_families(&mut conn, &client.id, self.now(), limit).await?)
    }

    /// The newest audit events about the client (`view-events` or `view-clients`).
    pub async fn client_audit(
        &self,
        realm: &str,
        client_id: &str,
        limit: i64,
        actor: &Actor,
    ) -> Result<Vec<AuditRow>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS, VIEW_CLIENTS]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::audit::of_client(&mut conn, &realm.id, client_id, limit).await?)
    }
}

impl Manager {
    /// A page of the realm's audit events (of one client when `client_id` is given), newest
    /// first (`view-events`).
    pub async fn audit_events(
        &self,
        realm: &str,
        client_id: Option<&str>,
        first: i64,
        max: i64,
        actor: &Actor,
    ) -> Result<Vec<AuditRow>, ManageError> {
        let realm = self.realm_for(realm, actor, &[VIEW_EVENTS]).await?;
        let mut conn = self.db.conn().await?;
        Ok(store::audit::page(&mut conn, &realm.id, client_id, first.max(0), max.clamp(1, 1000)).await?)
    }
}

impl From<OwnedRole> for AssignedRole {
    fn from(r: OwnedRole) -> Self {
        AssignedRole { client_id: r.client_id, name: r.name, description: r.description }
    }
}
