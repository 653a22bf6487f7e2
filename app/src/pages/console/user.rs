//! A user's page: the username, the tabs (`Details`, `Credentials`, `Role Mapping`,
//! `Sessions`, `Consents`, `Identity Provider Links`), and the open tab, each tab in its own file. Each tab is its own
//! address, so tabs work as links without JavaScript.

use super::{
    user_consents::ConsentsTab, user_credentials::CredentialsTab, user_details::DetailsTab,
    user_idp_links::IdpLinksTab, user_roles::RoleMappingTab, user_sessions::SessionsTab, users::user_href,
};
use crate::{
    admin::{console_user, Frame, UserPageView},
    components::{
        form::console_key,
        shell::{console_href, console_page, use_realm},
        tabs::Tabs,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The tabs: `(label, path segment)`.
pub const TABS: &[(&str, &str)] = &[
    ("Details", "details"),
    ("Credentials", "credentials"),
    ("Role Mapping", "role-mapping"),
    ("Sessions", "sessions"),
    ("Consents", "consents"),
    ("Identity Provider Links", "identity-provider-links"),
];

/// `/admin/:realm/console/users/:id/:tab`.
#[component]
pub fn UserPage() -> impl IntoView {
    let realm = use_realm();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let tab = move || params.read().get("tab").unwrap_or_else(|| "details".into());
    let role_client = move || query.read().get("roles").filter(|r| !r.is_empty());
    let key = console_key();
    let data = Resource::new(
        move || (realm(), id(), tab(), role_client(), key()),
        |(realm, id, tab, roles, _)| console_user(realm, id, tab, roles),
    );
    console_page("Users", data, move |frame, page| {
        let tab = tab();
        let label = TABS.iter().find(|(_, p)| *p == tab).map(|(l, _)| *l).unwrap_or("Details");
        let crumbs = vec![
            ("Users".to_owned(), Some(console_href(&frame.realm, "users"))),
            (page.user.username.clone(), Some(user_href(&frame.realm, &page.user.id, "details"))),
            (label.to_owned(), None),
        ];
        (crumbs, view! { <UserBody frame page label/> })
    })
}

#[component]
fn UserBody(frame: Frame, page: UserPageView, label: &'static str) -> impl IntoView {
    let u = &page.user;
    let tabs = TABS.iter().map(|(l, p)| (*l, user_href(&frame.realm, &u.id, p))).collect();
    let body = match label {
        "Credentials" => view! { <CredentialsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Role Mapping" => view! { <RoleMappingTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Sessions" => view! { <SessionsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Consents" => view! { <ConsentsTab frame=frame.clone() page=page.clone()/> }.into_any(),
        "Identity Provider Links" => view! { <IdpLinksTab frame=frame.clone() page=page.clone()/> }.into_any(),
        _ => view! { <DetailsTab frame=frame.clone() page=page.clone()/> }.into_any(),
    };
    let name = format!("{} {}", u.first_name, u.last_name).trim().to_owned();
    view! {
        <div class="page-head">
            <h1>
                {u.username.clone()}
                <span class="muted subtitle">
                    {(!name.is_empty()).then(|| name.clone())}
                    {(!u.enabled).then(|| view! { " · " <strong>"disabled"</strong> })}
                    {u.locked.then(|| view! { " · " <strong>"locked"</strong> })}
                    {u.password_temporary.then_some(" · temporary password")}
                </span>
            </h1>
        </div>
        <Tabs tabs current=label label="User"/>
        <section class="tab-panel" aria-label=label>{body}</section>
    }
}
