//! The admin permissions of a realm, as Keycloak models them: client roles of the realm's
//! built-in `realm-management` client, with Keycloak's composites, plus the seeds' names as
//! composite realm roles. Made with every realm, and at start for realms made before.

use super::{ManageError, Manager};
use crate::{
    model::scope,
    store::{self, clients::ClientRow, Executes},
};

/// The built-in client holding the admin permissions.
pub const REALM_MANAGEMENT: &str = "realm-management";

/// Keycloak's public client for the admin API: the password grant gets an administrator a
/// token (`python-keycloak`'s and `keycloak-admin-client`'s default).
pub const ADMIN_CLI: &str = "admin-cli";

/// Keycloak's built-in `broker` client: its `read-token` role lets a user's token fetch the
/// upstream tokens kept for them (`GET /realms/{realm}/broker/{alias}/token`).
pub const BROKER: &str = "broker";
/// The `broker` client's role that reads stored upstream tokens.
pub const READ_TOKEN: &str = "read-token";

/// A client the system makes in every realm.
fn system_client(realm_id: &str, client_id: &str, confidential: bool, now: i64) -> ClientRow {
    ClientRow {
        id: store::new_id(),
        realm_id: realm_id.to_owned(),
        client_id: client_id.to_owned(),
        name: client_id.to_owned(),
        description: String::new(),
        template: if confidential { "service" } else { "spa" }.to_owned(),
        confidential,
        enabled: true,
        grant_types: String::new(),
        redirect_uris: "[]".to_owned(),
        post_logout_redirect_uris: "[]".to_owned(),
        access_token_lifespan: None,
        refresh_token_lifespan: None,
        refresh_token_rotation: true,
        refresh_reuse_window: 5,
        pkce_required: true,
        consent_required: false,
        id_token_alg: None,
        not_before: 0,
        created_by: "system".to_owned(),
        updated_by: "system".to_owned(),
        created_at: now,
        updated_at: now,
        full_scope_allowed: true,
        builtin: false,
        web_origins: "[]".to_owned(),
    }
}

/// Keycloak's `realm-management` roles and, for the composites, the roles they include.
pub const PERMISSIONS: &[(&str, &[&str])] = &[
    ("view-realm", &[]),
    ("manage-realm", &[]),
    ("query-clients", &[]),
    ("view-clients", &["query-clients"]),
    ("manage-clients", &[]),
    ("create-client", &[]),
    ("query-users", &[]),
    ("query-groups", &[]),
    ("view-users", &["query-users", "query-groups"]),
    ("manage-users", &[]),
    ("query-realms", &[]),
    ("view-events", &[]),
    ("manage-events", &[]),
    ("view-identity-providers", &[]),
    ("manage-identity-providers", &[]),
    ("view-authorization", &[]),
    ("manage-authorization", &[]),
    ("impersonation", &[]),
];

/// Every permission: `realm-admin` includes them all.
pub const REALM_ADMIN: &str = "realm-admin";

/// The seeds' names, realm roles made of `realm-management` roles.
pub const SEED_ROLES: &[(&str, &str, &[&str])] = &[
    ("administer-account", "Administers the realm: users, clients, settings", &[REALM_ADMIN]),
    (
        "administer-clients",
        "Creates, manages and deletes clients",
        &["manage-clients", "view-clients", "create-client"],
    ),
    (
        "view-realm",
        "Sees the realm's settings, clients, users and events; changes nothing",
        &["view-realm", "view-clients", "view-users", "view-events"],
    ),
];

impl Manager {
    /// Makes the `realm-management` client of `realm_id`, its roles and the seed roles, unless
    /// they exist. Returns whether it made them.
    pub(super) async fn ensure_admin_roles(&self, c: &mut impl Executes, realm_id: &str) -> Result<bool, ManageError> {
        if store::clients::by_client_id(c, realm_id, REALM_MANAGEMENT).await?.is_some() {
            return Ok(false);
        }
        let now = self.now();
        let client = ClientRow {
            description: "Built in: its roles are the realm's admin permissions".to_owned(),
            grant_types: String::new(),
            builtin: true,
            ..system_client(realm_id, REALM_MANAGEMENT, true, now)
        };
        store::clients::insert(c, &client).await?;
        let mut ids = std::collections::HashMap::new();
        for (name, _) in PERMISSIONS.iter().chain([(REALM_ADMIN, &[][..])].iter()) {
            let id = store::roles::ensure_client_role(c, realm_id, &client.id, name, now).await?;
            ids.insert(*name, id);
        }
        for (name, children) in PERMISSIONS {
            for child in *children {
                store::roles::add_composite(c, &ids[name], &ids[child]).await?;
            }
        }
        for (name, _) in PERMISSIONS {
            store::roles::add_composite(c, &ids[REALM_ADMIN], &ids[name]).await?;
        }
        for (name, description, children) in SEED_ROLES {
            store::roles::create(c, realm_id, None, name, description, now).await?;
            let seed = store::roles::ensure_realm_role(c, realm_id, name, now).await?;
            for child in *children {
                store::roles::add_composite(c, &seed, &ids[child]).await?;
            }
        }
        Ok(true)
    }

    /// Makes the realm's `admin-cli` client unless it exists: public, password and refresh
    /// grants only, the OIDC scopes. Administrators sign in through it for the admin API; it is
    /// an ordinary client otherwise (it shows in the list, and can be changed or deleted).
    pub(super) async fn ensure_admin_cli(&self, c: &mut impl Executes, realm_id: &str) -> Result<(), ManageError> {
        if store::clients::by_client_id(c, realm_id, ADMIN_CLI).await?.is_some() {
            return Ok(());
        }
        let now = self.now();
        let client = ClientRow {
            description: "Built in: administrators get admin API tokens here (password grant)".to_owned(),
            grant_types: "password refresh_token".to_owned(),
            ..system_client(realm_id, ADMIN_CLI, false, now)
        };
        store::clients::insert(c, &client).await?;
        for (name, description) in scope::BUILTIN {
            let scope_id = store::scopes::ensure(c, realm_id, name, description, true, now).await?;
            store::clients::add_scope(c, &client.id, &scope_id, matches!(*name, "profile" | "email")).await?;
        }
        Ok(())
    }

    /// Makes the realm's built-in `broker` client and its `read-token` role unless they exist.
    pub(super) async fn ensure_broker_client(&self, c: &mut impl Executes, realm_id: &str) -> Result<(), ManageError> {
        if store::clients::by_client_id(c, realm_id, BROKER).await?.is_some() {
            return Ok(());
        }
        let now = self.now();
        let client = ClientRow {
            description: "Built in: its read-token role lets apps fetch a user's upstream tokens".to_owned(),
            builtin: true,
            ..system_client(realm_id, BROKER, true, now)
        };
        store::clients::insert(c, &client).await?;
        store::roles::ensure_client_role(c, realm_id, &client.id, READ_TOKEN, now).await?;
        Ok(())
    }

    /// Gives every realm its admin roles (realms made before they existed). Run at start: one
    /// query when there is nothing to do.
    pub async fn ensure_admin_roles_everywhere(&self) -> Result<usize, ManageError> {
        let mut conn = self.db.conn().await?;
        let mut missing = store::clients::realms_without(&mut conn, REALM_MANAGEMENT).await?;
        missing.extend(store::clients::realms_without(&mut conn, ADMIN_CLI).await?);
        missing.extend(store::clients::realms_without(&mut conn, BROKER).await?);
        missing.sort();
        missing.dedup();
        drop(conn);
        for realm_id in &missing {
            let mut tx = self.db.begin().await?;
            self.ensure_admin_roles(&mut tx, realm_id).await?;
            self.ensure_admin_cli(&mut tx, realm_id).await?;
            self.ensure_broker_client(&mut tx, realm_id).await?;
            tx.commit().await?;
        }
        Ok(missing.len())
    }
}
