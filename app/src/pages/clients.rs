//! The read-only list of a realm's clients. Without JavaScript the filter is a GET form
//! (`?q=`); once hydrated it filters as you type.

use crate::api::{csrf_token, current_admin, list_clients, ClientSummary};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/admin/:realm/console/clients` (Keycloak's console lives under `/admin/{realm}/console/`,
/// leaving `/admin/realms/…` to the admin REST API).
#[component]
pub fn Clients() -> impl IntoView {
    let params = use_params_map();
    let realm = move || params.read().get("realm").unwrap_or_else(|| "default".to_owned());
    let query = use_query_map();
    let (filter, set_filter) = signal(query.read_untracked().get("q").unwrap_or_default());
    let clients = Resource::new(realm, list_clients);
    let admin = Resource::new(|| (), |_| current_admin());
    let token = Resource::new(|| (), |_| csrf_token());

    view! {
        <header class="topbar">
            <strong>"Portcullis"</strong>
            <span class="muted">" · realm "{realm}</span>
            <span class="spacer"></span>
            <Suspense>
                {move || admin.get().and_then(Result::ok).flatten().map(|a| view! {
                    <span class="muted" id="admin-name">{a.username}</span>
                })}
                <form method="post" action="/admin/logout" class="inline">
                    {move || token.get().map(|t| view! {
                        <input type="hidden" name="csrf" value=t.unwrap_or_default()/>
                    })}
                    <button type="submit" class="secondary">"Sign out"</button>
                </form>
            </Suspense>
        </header>
        <main class="card wide">
            <h1>"Clients"</h1>
            <form method="get" role="search" class="row">
                <input
                    type="search"
                    name="q"
                    id="client-filter"
                    placeholder="Filter by id, name, template or grant"
                    value=filter.get_untracked()
                    prop:value=filter
                    on:input=move |ev| set_filter.set(event_target_value(&ev))
                />
                <noscript><button type="submit">"Filter"</button></noscript>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading clients…"</p> }>
                {move || clients.get().map(|result| match result {
                    Ok(list) => view! { <ClientTable clients=list filter=filter/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn ClientTable(clients: Vec<ClientSummary>, filter: ReadSignal<String>) -> impl IntoView {
    let total = clients.len();
    let visible = Memo::new(move |_| {
        let f = filter.get();
        clients.iter().filter(|c| c.matches(&f)).cloned().collect::<Vec<_>>()
    });
    view! {
        <p class="muted" id="client-count">
            {move || format!("{} of {} clients", visible.read().len(), total)}
        </p>
        <table id="clients">
            <thead>
                <tr><th>"Client ID"</th><th>"Name"</th><th>"Template"</th><th>"Type"</th><th>"Grants"</th><th>"Status"</th></tr>
            </thead>
            <tbody>
                <For each=move || visible.get() key=|c| c.client_id.clone() let:c>
                    <tr data-client-id=c.client_id.clone()>
                        <td><code>{c.client_id.clone()}</code></td>
                        <td>{c.name.clone()}</td>
                        <td>{c.template.clone()}</td>
                        <td>{c.kind.clone()}</td>
                        <td>{c.grant_types.join(", ")}</td>
                        <td>{if c.enabled { "enabled" } else { "disabled" }}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}
