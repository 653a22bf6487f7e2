//! A client's page: its name and id, the tabs (`Settings`, `Credentials`, `Service Account
//! Roles`, `Project Access`, `Revocation`, `Sessions`, `Audit`), and the open tab, each tab in
//! its own file. Each tab is its own address, so tabs work as links without JavaScript.

use super::{
    client_audit::AuditTab, client_credentials::CredentialsTab, client_projects::ProjectsTab,
    client_revocation::RevocationTab, client_roles::ServiceAccountTab, client_sessions::SessionsTab,
    client_settings::SettingsTab,
};
use crate::{
    admin::{console_client, ClientPageView, Frame},
    components::{
        form::console_key,
        shell::{console_href, console_page, escape, use_realm},
        tabs::Tabs,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The tabs: `(label, path segment)`.
pub const TABS: &[(&str, &str)] = &[
    ("Settings", "settings"),
    ("Credentials", "credentials"),
    ("Service Account Roles", "service-account-roles"),
    ("Project Access", "project-access"),
    ("Revocation", "revocation"),
    ("Sessions", "sessions"),
    ("Audit", "audit"),
];

/// The address of a client's tab.
pub fn tab_href(realm: &str, client_id: &str, tab: &str) -> String {
    console_href(realm, &format!("clients/{}/{tab}", escape(client_id)))
}

/// `/admin/:realm/console/clients/:client_id/:tab`.
#[component]
pub fn ClientPage() -> impl IntoView {
    let realm = use_realm();
    let params = use_params_map();
    let query = use_query_map();
    let client_id = move || params.read().get("client_id").unwrap_or_default();
    let tab = move || params.read().get("tab").unwrap_or_else(|| "settings".into());
    let role_client = move || query.read().get("roles").filter(|r| !r.is_empty());
    let key = console_key();
    let data = Resource::new(
        move || (realm(), client_id(), tab(), role_client(), key()),
        |(realm, id, tab, roles, _)| console_client(realm, id, tab, roles),
    );
    console_page("OAuth Clients", data, move |frame, page| {
        let tab = tab();
        let label = TABS.iter().find(|(_, p)| *p == tab).map(|(l, _)| *l).unwrap_or("Settings");
        let crumbs = vec![
            ("OAuth Clients".to_owned(), Some(console_href(&frame.realm, "clients"))),
            (page.client.client_id.clone(), Some(tab_href(&frame.realm, &page.client.client_id, "settings"))),
            (label.to_owned(), None),
        ];
        (crumbs, view! { <ClientBody frame page label/> })
    })
}

#[component]
fn ClientBody(frame: Frame, page: ClientPageView, label: &'static str) -> impl IntoView {
    let c = &page.client;
    let tabs = TABS.iter().map(|(l, p)| (*l, tab_href(&frame.realm, &c.client_id, p))).collect();
    let body = match label {
        "Credentials" => view! { <CredentialsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Service Account Roles" => view! { <ServiceAccountTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Project Access" => view! { <ProjectsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Revocation" => view! { <RevocationTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Sessions" => view! { <SessionsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Audit" => view! { <AuditTab page=page.clone()/> }.into_any(),
        _ => view! { <SettingsTab frame=frame.clone() page=page.clone()/> }.into_any(),
    };
    view! {
        <div class="page-head">
            <h1>
                {c.name.clone()}
                <span class="muted subtitle">
                    <code>{c.client_id.clone()}</code>
                    " · " {c.template.clone()} " · " {if c.confidential { "confidential" } else { "public" }}
                    {(!c.enabled).then(|| view! { " · " <strong>"disabled"</strong> })}
                </span>
            </h1>
        </div>
        <Tabs tabs current=label label="Client"/>
        <section class="tab-panel" aria-label=label>{body}</section>
    }
}
