//! Identity Providers: the realm's upstream OpenID Connect and OAuth 2.0 providers, in
//! sign-in page order, with `Create` and, per row, `Edit` and `Delete` (which asks first,
//! naming the provider). An administrator with only `view-identity-providers` sees the list
//! and each provider's settings, without the controls that change them.

use crate::{
    admin::{
        identity_providers::{console_identity_providers, IdpListView},
        Frame,
    },
    components::{
        confirm::Confirm,
        form::{console_key, ConsoleForm},
        shell::{console_href, console_page, escape, use_realm},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/admin/{realm}/console/identity-providers/{alias}`.
pub fn provider_href(realm: &str, alias: &str) -> String {
    console_href(realm, &format!("identity-providers/{}", escape(alias)))
}

/// The provider type as the console names it.
pub fn kind_label(kind: &str) -> &'static str {
    if kind == "oauth2" {
        "OAuth 2.0"
    } else {
        "OpenID Connect"
    }
}

/// `/admin/:realm/console/identity-providers?delete=ALIAS`.
#[component]
pub fn IdentityProviders() -> impl IntoView {
    let realm = use_realm();
    let query = use_query_map();
    let key = console_key();
    let data = Resource::new(move || (realm(), key()), |(realm, _)| console_identity_providers(realm));
    console_page("Identity Providers", data, move |frame, list| {
        let deleting = query.read_untracked().get("delete").filter(|d| !d.is_empty());
        (vec![("Identity Providers".to_owned(), None)], view! { <ProviderList frame list deleting/> })
    })
}

#[component]
fn ProviderList(frame: Frame, list: IdpListView, deleting: Option<String>) -> impl IntoView {
    let realm = frame.realm.clone();
    let here = console_href(&realm, "identity-providers");
    let can = frame.can("manage-identity-providers");
    let confirm =
        deleting.filter(|_| can).and_then(|a| list.providers.iter().find(|p| p.alias == a).cloned()).map(|p| {
            let action = format!("{}/delete", provider_href(&realm, &p.alias));
            view! {
                <Confirm title=format!("Delete identity provider {}?", p.display_name) cancel=here.clone()>
                    <p>
                        "Users can no longer sign in through " <strong>{p.display_name.clone()}</strong>
                        ". Users linked to it lose the link, and the upstream tokens kept for them are deleted. "
                        "This cannot be undone."
                    </p>
                    <ConsoleForm action csrf=frame.csrf.clone() class="inline">
                        <button type="submit" class="danger">"Delete"</button>
                    </ConsoleForm>
                </Confirm>
            }
        });
    let verb = if can { "Edit" } else { "View" };
    let none = list.providers.is_empty().then(|| {
        view! { <tr><td colspan="7">"No identity providers yet. Users sign in with their passwords only."</td></tr> }
    });
    let rows = list
        .providers
        .into_iter()
        .map(|p| {
            let page = provider_href(&realm, &p.alias);
            let delete = format!("{here}?delete={}", escape(&p.alias));
            let (state, class) = if p.enabled { ("Enabled", "on") } else { ("Disabled", "off") };
            view! {
                <tr data-alias=p.alias.clone()>
                    <th scope="row"><a href=page.clone()>{p.display_name.clone()}</a></th>
                    <td><code>{p.alias.clone()}</code></td>
                    <td>{kind_label(&p.kind)}</td>
                    <td><span class=format!("badge {class}")>{state}</span></td>
                    <td>{p.gui_order}</td>
                    <td>{if p.store_tokens { "Yes" } else { "No" }}</td>
                    <td class="actions">
                        <a href=page aria-label=format!("{verb} {}", p.alias)>{verb}</a>
                        {can.then(|| view! {
                            <a href=delete class="danger-link" aria-label=format!("Delete {}", p.alias)>"Delete"</a>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head">
            <h1>"Identity Providers"</h1>
            {can.then(|| view! { <a class="button" href=console_href(&realm, "identity-providers/new")>"Create"</a> })}
        </div>
        {confirm}
        <p class="muted">
            "Upstream OpenID Connect or OAuth 2.0 providers the realm's users may sign in through: "
            "each enabled one is a “Sign in with …” link on the sign-in page, in sign-in order."
        </p>
        <table class="list" id="identity-providers">
            <caption class="visually-hidden">"Identity providers"</caption>
            <thead>
                <tr>
                    <th scope="col">"Display name"</th>
                    <th scope="col">"Alias"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Sign-in order"</th>
                    <th scope="col">"Store tokens"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{none}{rows}</tbody>
        </table>
    }
}
