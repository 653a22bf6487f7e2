//! Who asks for an administrative operation, and the check every operation makes first.
//!
//! The console and (next) the REST API act for a signed-in user, whose permissions come from
//! the role mappings stored now ([`Manager::permissions_of`]); the CLI acts for the machine's
//! operator, who already holds the database and the master key and so may do anything.

use super::{permissions::Permissions, ManageError};

/// The permission names operations check (`realm-management` roles).
pub mod perm {
    pub const VIEW_REALM: &str = "view-realm";
    pub const MANAGE_REALM: &str = "manage-realm";
    pub const VIEW_CLIENTS: &str = "view-clients";
    pub const MANAGE_CLIENTS: &str = "manage-clients";
    pub const VIEW_USERS: &str = "view-users";
    pub const MANAGE_USERS: &str = "manage-users";
    pub const VIEW_EVENTS: &str = "view-events";
    pub const VIEW_IDENTITY_PROVIDERS: &str = "view-identity-providers";
    pub const MANAGE_IDENTITY_PROVIDERS: &str = "manage-identity-providers";
}

/// Whose stored roles an actor acts with: what an API key it makes may be given, and whose
/// keys it may see without `view-realm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A user, by id.
    User(String),
    /// A client's service account, by the client's primary key.
    ServiceAccount(String),
    /// An API key, by id.
    ApiKey(String),
}

impl Holder {
    /// The stored form (`api_keys.owner`).
    pub fn key(&self) -> String {
        match self {
            Holder::User(id) => format!("user:{id}"),
            Holder::ServiceAccount(pk) => format!("client:{pk}"),
            Holder::ApiKey(id) => format!("api-key:{id}"),
        }
    }
}

/// The one asking: a name for the audit log and, for users, what they may do.
#[derive(Debug, Clone)]
pub struct Actor {
    name: String,
    /// `None`: the operator at the command line.
    permissions: Option<Permissions>,
    /// Whose roles these are; `None` for the operator.
    holder: Option<Holder>,
}

impl Actor {
    /// The operator running `portcullis` against the database.
    pub fn operator(name: impl Into<String>) -> Self {
        Actor { name: name.into(), permissions: None, holder: None }
    }

    /// A signed-in administrator.
    pub fn user(name: impl Into<String>, permissions: Permissions) -> Self {
        Actor { name: name.into(), permissions: Some(permissions), holder: None }
    }

    /// The same actor, known to act with `holder`'s stored roles.
    pub fn held_by(self, holder: Holder) -> Self {
        Actor { holder: Some(holder), ..self }
    }

    /// Whose roles the actor acts with (`None`: the operator).
    pub fn holder(&self) -> Option<&Holder> {
        self.holder.as_ref()
    }

    /// The name the audit log records.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the actor holds `permission` in the realm `realm_id`.
    pub fn can(&self, realm_id: &str, permission: &str) -> bool {
        self.permissions.as_ref().is_none_or(|p| p.can(realm_id, permission))
    }

    /// Whether the actor administers every realm (the operator, or master's `admin`).
    pub fn is_superuser(&self) -> bool {
        self.permissions.as_ref().is_none_or(|p| p.superuser)
    }

    /// Fails with [`ManageError::Forbidden`] unless the actor holds `permission` in `realm_id`.
    pub fn require(&self, realm_id: &str, permission: &str) -> Result<(), ManageError> {
        self.require_any(realm_id, &[permission])
    }

    /// Fails with [`ManageError::Forbidden`] unless the actor holds one of `permissions` in
    /// `realm_id`.
    pub fn require_any(&self, realm_id: &str, permissions: &[&str]) -> Result<(), ManageError> {
        match permissions.iter().any(|p| self.can(realm_id, p)) {
            true => Ok(()),
            false => Err(ManageError::Forbidden(format!(
                "this needs the {} permission in this realm",
                permissions.join(" or ")
            ))),
        }
    }

    /// Fails unless the actor administers every realm.
    pub fn require_superuser(&self) -> Result<(), ManageError> {
        match self.is_superuser() {
            true => Ok(()),
            false => Err(ManageError::Forbidden("only a master realm administrator may do this".into())),
        }
    }
}
