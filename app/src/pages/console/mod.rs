//! The admin console's pages, one per file, under `/admin/{realm}/console/` (Keycloak's place
//! for its console, leaving `/admin/realms/…` to the admin REST API). Each loads its data with
//! a server function and lays it out in `components::shell`; each change is a
//! `components::form::ConsoleForm` posted to the page's own address.

pub mod api_keys;
pub mod api_reference;
pub mod audit_log;
pub mod client;
pub mod client_audit;
pub mod client_credentials;
pub mod client_new;
pub mod client_projects;
pub mod client_revocation;
pub mod client_roles;
pub mod client_scopes;
pub mod client_sessions;
pub mod client_settings;
pub mod clients;
pub mod dashboard;
pub mod identity_provider;
pub mod identity_providers;
pub mod not_built;
pub mod projects;
pub mod realm_settings;
pub mod roles;
pub mod service_connections;
pub mod sessions;
pub mod signing_keys;
pub mod user;
pub mod user_consents;
pub mod user_credentials;
pub mod user_details;
pub mod user_idp_links;
pub mod user_new;
pub mod user_roles;
pub mod user_sessions;
pub mod users;

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

// Each console page is a lazy route: its code is a separate WASM chunk (`cargo leptos build
// --split`), fetched when the page is first shown, so the end-user pages (sign-in, consent,
// device) do not load the console's code. The pages load their own data.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:path) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(
    /// `/admin/:realm/console/clients`.
    ClientsRoute => clients::Clients
);
lazy_page!(
    /// `/admin/:realm/console/clients/new`.
    ClientNewRoute => client_new::ClientNew
);
lazy_page!(
    /// `/admin/:realm/console/clients/:client_id/:tab`.
    ClientRoute => client::ClientPage
);
lazy_page!(
    /// `/admin/:realm/console/roles`.
    RolesRoute => roles::Roles
);
lazy_page!(
    /// `/admin/:realm/console/realm-settings`.
    RealmSettingsRoute => realm_settings::RealmSettings
);
lazy_page!(
    /// `/admin/:realm/console/projects`.
    ProjectsRoute => projects::Projects
);
lazy_page!(
    /// `/admin/:realm/console/signing-keys`.
    SigningKeysRoute => signing_keys::SigningKeys
);
lazy_page!(
    /// `/admin/:realm/console/client-scopes`.
    ClientScopesRoute => client_scopes::ClientScopes
);
lazy_page!(
    /// `/admin/:realm/console/api-keys`.
    ApiKeysRoute => api_keys::ApiKeys
);
lazy_page!(
    /// `/admin/:realm/console/api`.
    ApiReferenceRoute => api_reference::ApiReference
);
lazy_page!(
    /// `/admin/:realm/console/users`.
    UsersRoute => users::Users
);
lazy_page!(
    /// `/admin/:realm/console/users/new`.
    UserNewRoute => user_new::UserNew
);
lazy_page!(
    /// `/admin/:realm/console/users/:id/:tab`.
    UserRoute => user::UserPage
);
lazy_page!(
    /// `/admin/:realm/console/identity-providers`.
    IdentityProvidersRoute => identity_providers::IdentityProviders
);
lazy_page!(
    /// `/admin/:realm/console/identity-providers/new`.
    IdentityProviderNewRoute => identity_provider::IdentityProviderNew
);
lazy_page!(
    /// `/admin/:realm/console/identity-providers/:alias`.
    IdentityProviderRoute => identity_provider::IdentityProviderPage
);
lazy_page!(
    /// `/admin/:realm/console/service-connections`.
    ServiceConnectionsRoute => service_connections::ServiceConnections
);
lazy_page!(
    /// `/admin/:realm/console/audit-log`.
    AuditLogRoute => audit_log::AuditLog
);
lazy_page!(
    /// `/admin/:realm/console/sessions`.
    SessionsRoute => sessions::Sessions
);
lazy_page!(
    /// `/admin/:realm/console/dashboard`.
    DashboardRoute => dashboard::Dashboard
);
lazy_page!(
    /// `/admin/:realm/console/:section`, the sections not built yet.
    NotBuiltRoute => not_built::NotBuilt
);
