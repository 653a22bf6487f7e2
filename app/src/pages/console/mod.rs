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

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

// Each console page is a lazy route: its code is a separate WASM chunk (`cargo leptos build
// --split`), fetched when the page is first shown, so the end-user pages (sign-in, consent,
// device) do not load the console's code. The pages load their own data.

/// `/admin/:realm/console/clients`.
pub struct ClientsRoute;

#[lazy_route]
impl LazyRoute for ClientsRoute {
    fn data() -> Self {
        ClientsRoute
    }

    fn view(_this: Self) -> AnyView {
        clients::Clients().into_any()
    }
}

/// `/admin/:realm/console/clients/new`.
pub struct ClientNewRoute;

#[lazy_route]
impl LazyRoute for ClientNewRoute {
    fn data() -> Self {
        ClientNewRoute
    }

    fn view(_this: Self) -> AnyView {
        client_new::ClientNew().into_any()
    }
}

/// `/admin/:realm/console/clients/:client_id/:tab`.
pub struct ClientRoute;

#[lazy_route]
impl LazyRoute for ClientRoute {
    fn data() -> Self {
        ClientRoute
    }

    fn view(_this: Self) -> AnyView {
        client::ClientPage().into_any()
    }
}

/// `/admin/:realm/console/roles`.
pub struct RolesRoute;

#[lazy_route]
impl LazyRoute for RolesRoute {
    fn data() -> Self {
        RolesRoute
    }

    fn view(_this: Self) -> AnyView {
        roles::Roles().into_any()
    }
}

/// `/admin/:realm/console/realm-settings`.
pub struct RealmSettingsRoute;

#[lazy_route]
impl LazyRoute for RealmSettingsRoute {
    fn data() -> Self {
        RealmSettingsRoute
    }

    fn view(_this: Self) -> AnyView {
        realm_settings::RealmSettings().into_any()
    }
}

/// `/admin/:realm/console/:section`, the sections not built yet.
pub struct NotBuiltRoute;

#[lazy_route]
impl LazyRoute for NotBuiltRoute {
    fn data() -> Self {
        NotBuiltRoute
    }

    fn view(_this: Self) -> AnyView {
        not_built::NotBuilt().into_any()
    }
}
