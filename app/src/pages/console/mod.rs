//! The admin console's pages, one per file, under `/admin/{realm}/console/` (Keycloak's place
//! for its console, leaving `/admin/realms/…` to the admin REST API). Each loads its data with
//! a server function and lays it out in `components::shell`; each change is a
//! `components::form::ConsoleForm` posted to the page's own address.

pub mod client;
pub mod client_audit;
pub mod client_credentials;
pub mod client_new;
pub mod client_projects;
pub mod client_revocation;
pub mod client_roles;
pub mod client_sessions;
pub mod client_settings;
pub mod clients;
pub mod not_built;
pub mod realm_settings;
pub mod roles;
