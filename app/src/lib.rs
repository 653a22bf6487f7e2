//! The Portcullis pages, rendered on the server (SSR) and hydrated in the browser.
//!
//! # Layout
//! - `admin`: the console's data and server functions (shims over `ConsoleService` too)
//! - `api`: the data the end-user pages exchange with the server, and the server functions (thin shims
//!   over [`service::ConsoleService`], which the `server` crate implements)
//! - `service` (ssr only): the trait the server provides through Leptos context
//! - `pages`: one page per file
//! - `components`: pieces shared by pages; `text`: wording helpers
//!
//! Every page works as plain HTML forms with JavaScript disabled; once hydrated, the `body`
//! gets `data-hydrated="true"` from `frontend` once hydration returned (browser tests wait for it) and client-side conveniences start.

pub mod admin;
pub mod api;
pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod text;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};
use pages::console;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: routes to the pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::form::provide_console_state();
    view! {
        <Stylesheet id="portcullis" href="/pkg/portcullis.css"/>
        <Title text="Portcullis"/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                // Async rendering puts every resource's output inline, so forms carry their
                // CSRF tokens with JavaScript disabled too.
                <Route path=path!("/admin/login") view=pages::admin_login::AdminLogin ssr=SsrMode::Async/>
                // The console: specific routes before the catch-all of sections not built yet.
                <Route path=path!("/admin/:realm/console/clients") view={Lazy::<console::ClientsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/clients/new") view={Lazy::<console::ClientNewRoute>::new()} ssr=SsrMode::Async/>
                <Route
                    path=path!("/admin/:realm/console/clients/:client_id/:tab")
                    view={Lazy::<console::ClientRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/:realm/console/roles") view={Lazy::<console::RolesRoute>::new()} ssr=SsrMode::Async/>
                <Route
                    path=path!("/admin/:realm/console/realm-settings")
                    view={Lazy::<console::RealmSettingsRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/:realm/console/projects") view={Lazy::<console::ProjectsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/client-scopes") view={Lazy::<console::ClientScopesRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/api-keys") view={Lazy::<console::ApiKeysRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/signing-keys") view={Lazy::<console::SigningKeysRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/api") view={Lazy::<console::ApiReferenceRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/audit-log") view={Lazy::<console::AuditLogRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/sessions") view={Lazy::<console::SessionsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/dashboard") view={Lazy::<console::DashboardRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/users") view={Lazy::<console::UsersRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/users/new") view={Lazy::<console::UserNewRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/:realm/console/users/:id/:tab") view={Lazy::<console::UserRoute>::new()} ssr=SsrMode::Async/>
                <Route
                    path=path!("/admin/:realm/console/identity-providers")
                    view={Lazy::<console::IdentityProvidersRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/:realm/console/identity-providers/new")
                    view={Lazy::<console::IdentityProviderNewRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/:realm/console/identity-providers/:alias")
                    view={Lazy::<console::IdentityProviderRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/:realm/console/service-connections")
                    view={Lazy::<console::ServiceConnectionsRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=path!("/admin/:realm/console/:section") view={Lazy::<console::NotBuiltRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/realms/:realm/login") view=pages::login::Login ssr=SsrMode::Async/>
                <Route path=path!("/realms/:realm/consent") view=pages::consent::Consent ssr=SsrMode::Async/>
                <Route path=path!("/realms/:realm/logout") view=pages::logout::Logout ssr=SsrMode::Async/>
                <Route path=path!("/realms/:realm/logged-out") view=pages::logout::LoggedOut/>
                <Route path=path!("/realms/:realm/device") view=pages::device::Device ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
